// Command icons draws Hark's app icons into the web directory: a speech
// bubble on the theme colour, as 192 and 512 pixel PNGs with rounded corners
// and a 512 pixel maskable one (full bleed, the bubble inside the safe zone
// that platforms may crop to a circle). The PNGs are committed; run it again
// only to change the design:
//
//	go run ./tools/icons -out web
package main

import (
	"flag"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

var (
	theme  = color.NRGBA{0x2f, 0x5d, 0xd6, 0xff}
	bubble = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// samples per pixel side: 4×4 supersampling smooths the edges.
const samples = 4

func main() {
	out := flag.String("out", "web", "directory to write the icons to")
	flag.Parse()
	icons := []struct {
		name     string
		size     int
		maskable bool
	}{
		{"icon-192.png", 192, false},
		{"icon-512.png", 512, false},
		{"icon-maskable-512.png", 512, true},
	}
	for _, ic := range icons {
		if err := write(filepath.Join(*out, ic.name), draw(ic.size, ic.maskable)); err != nil {
			log.Fatal(err)
		}
	}
}

func write(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// draw renders the icon at size pixels. Shapes are in unit coordinates
// (0 to 1 across the icon).
func draw(size int, maskable bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	// The maskable icon's glyph is shrunk so it stays inside the central
	// circle of 80% diameter that every mask keeps.
	scale := 1.0
	if maskable {
		scale = 0.8
	}
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var bg, fg int
			for sy := 0; sy < samples; sy++ {
				for sx := 0; sx < samples; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/samples) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/samples) / float64(size)
					if !maskable && !roundRect(x, y, 0, 0, 1, 1, 0.22) {
						continue
					}
					bg++
					gx, gy := 0.5+(x-0.5)/scale, 0.5+(y-0.5)/scale
					if glyph(gx, gy) {
						fg++
					}
				}
			}
			img.SetNRGBA(px, py, blend(bg, fg))
		}
	}
	return img
}

// blend mixes the bubble over the theme colour by the share of samples in
// each, with alpha for the samples outside the rounded background.
func blend(bg, fg int) color.NRGBA {
	if bg == 0 {
		return color.NRGBA{}
	}
	t := float64(fg) / float64(bg)
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a)*(1-t) + float64(b)*t)) }
	return color.NRGBA{
		R: mix(theme.R, bubble.R),
		G: mix(theme.G, bubble.G),
		B: mix(theme.B, bubble.B),
		A: uint8(math.Round(255 * float64(bg) / (samples * samples))),
	}
}

// glyph is the speech bubble: a rounded rectangle with a tail at its lower
// left, and three dots cut out of it.
func glyph(x, y float64) bool {
	body := roundRect(x, y, 0.2, 0.24, 0.8, 0.68, 0.12)
	tail := triangle(x, y, 0.30, 0.60, 0.28, 0.82, 0.50, 0.66)
	if !body && !tail {
		return false
	}
	for _, cx := range []float64{0.36, 0.5, 0.64} {
		if math.Hypot(x-cx, y-0.46) < 0.048 {
			return false
		}
	}
	return true
}

func roundRect(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := math.Max(x0+r, math.Min(x, x1-r))
	cy := math.Max(y0+r, math.Min(y, y1-r))
	return math.Hypot(x-cx, y-cy) <= r
}

func triangle(x, y, ax, ay, bx, by, cx, cy float64) bool {
	side := func(px, py, qx, qy float64) float64 { return (qx-px)*(y-py) - (qy-py)*(x-px) }
	d1, d2, d3 := side(ax, ay, bx, by), side(bx, by, cx, cy), side(cx, cy, ax, ay)
	neg := d1 < 0 || d2 < 0 || d3 < 0
	pos := d1 > 0 || d2 > 0 || d3 > 0
	return !(neg && pos)
}
