// Package media reads what an uploaded file is: its type from its first
// bytes (never from what the uploader says), and for the images the server
// reads (PNG, JPEG, GIF) their size and a thumbnail, with the standard
// library only.
package media

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime"
	"net/http"
	"strings"

	"hark/app/protocol"
)

// SniffLen is how many first bytes Sniff reads, as http.DetectContentType.
const SniffLen = 512

// MaxPixels bounds the images decoded: a small file can claim a huge
// canvas (a decompression bomb), and decoding allocates by the canvas.
// Larger images are kept as plain files, with no size and no thumbnail.
const MaxPixels = 50_000_000

// Sniff is the media type of a file whose first bytes are head (at most
// SniffLen are read), without parameters.
func Sniff(head []byte) string {
	t, _, err := mime.ParseMediaType(http.DetectContentType(head))
	if err != nil {
		return "application/octet-stream"
	}
	return t
}

// Decodable reports whether the server reads images of type t: PNG, JPEG
// and GIF, as sniffed. SVG is no image here: it is XML that may script.
func Decodable(t string) bool {
	switch t {
	case "image/png", "image/jpeg", "image/gif":
		return true
	}
	return false
}

// CheckClaim refuses a file that claims (its Content-Type) to be an image
// it is not: a disguise, perhaps HTML dressed as a PNG. A claim of any
// other type is not checked: the sniffed type is what is kept. Nor is
// image/svg+xml, what browsers say of every SVG file: SVG is text, never
// sniffed as an image, and is kept as the plain file it is.
func CheckClaim(claimed, sniffed string) error {
	t, _, err := mime.ParseMediaType(claimed)
	if err != nil || !strings.HasPrefix(t, "image/") || t == "image/svg+xml" {
		return nil
	}
	if t == "image/jpg" || t == "image/pjpeg" {
		t = "image/jpeg" // names browsers and tools still use
	}
	if t != sniffed {
		return protocol.Errorf(protocol.CodeBadRequest, "the file is %s, not %s as it says", sniffed, t)
	}
	return nil
}

// Image is what the server read of an image: its size and a thumbnail
// (nil when the image is no larger than one).
type Image struct {
	Width, Height int
	Thumb         []byte
}

// Inspect reads the image data (of a type Decodable says yes to). It
// reports false for data it cannot read, or of more than MaxPixels: such a
// file is kept as a plain file.
func Inspect(data []byte) (Image, bool) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Image{}, false
	}
	img := Image{Width: cfg.Width, Height: cfg.Height}
	if max(cfg.Width, cfg.Height) <= protocol.ThumbPixels {
		return img, true
	}
	src, err := decode(format, data)
	if err != nil {
		return Image{}, false
	}
	img.Thumb = encodeThumb(Shrink(src, protocol.ThumbPixels), format)
	return img, true
}

// decode decodes data of format with its own decoder, not image.Decode:
// only the three formats this package registers are ever tried.
func decode(format string, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch format {
	case "png":
		return png.Decode(r)
	case "jpeg":
		return jpeg.Decode(r)
	default:
		return gif.Decode(r)
	}
}

// encodeThumb encodes a thumbnail: JPEG for a JPEG (a photo, opaque, which
// PNG would make several times larger), PNG for the rest (screenshots,
// drawings, transparency, which JPEG would blur or lose).
func encodeThumb(img *image.RGBA, format string) []byte {
	var b bytes.Buffer
	if format == "jpeg" {
		jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	} else {
		(&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img)
	}
	return b.Bytes()
}

// Shrink returns src scaled down so its longer side is at most side, each
// pixel the average of the source pixels its area covers (alpha
// premultiplied, so transparent pixels do not darken their neighbours).
// One pass over the source, row by row; the memory it takes is the
// result's and one row of sums.
func Shrink(src image.Image, side int) *image.RGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := sw, sh
	if longer := max(sw, sh); longer > side {
		dw, dh = max(1, sw*side/longer), max(1, sh*side/longer)
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	at := pixels(src)
	// col[x] is the destination column of source column x.
	col := make([]int, sw)
	for x := range col {
		col[x] = x * dw / sw
	}
	sums := make([]uint64, 4*dw)
	count := make([]uint64, dw)
	dy := 0
	flush := func() {
		row := dst.Pix[dy*dst.Stride:]
		for x := range dw {
			n := count[x]
			for c := range 4 {
				// 16-bit sums to 8-bit: divide by n, then by 257.
				row[4*x+c] = uint8(sums[4*x+c] / n / 257)
				sums[4*x+c] = 0
			}
			count[x] = 0
		}
	}
	for y := range sh {
		if ty := y * dh / sh; ty != dy {
			flush()
			dy = ty
		}
		for x := range sw {
			r, g, bl, a := at(b.Min.X+x, b.Min.Y+y)
			i := col[x]
			sums[4*i] += uint64(r)
			sums[4*i+1] += uint64(g)
			sums[4*i+2] += uint64(bl)
			sums[4*i+3] += uint64(a)
			count[i]++
		}
	}
	flush()
	return dst
}

// pixels is a reader of src's pixels, premultiplied 16-bit RGBA, with a
// fast path for the types the decoders return most: going through
// color.Color for every pixel of a large photo costs an allocation each.
func pixels(src image.Image) func(x, y int) (r, g, b, a uint32) {
	switch m := src.(type) {
	case *image.YCbCr:
		return func(x, y int) (uint32, uint32, uint32, uint32) {
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			r, g, b := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			return uint32(r) * 257, uint32(g) * 257, uint32(b) * 257, 0xffff
		}
	case *image.RGBA:
		return func(x, y int) (uint32, uint32, uint32, uint32) {
			p := m.Pix[m.PixOffset(x, y):]
			return uint32(p[0]) * 257, uint32(p[1]) * 257, uint32(p[2]) * 257, uint32(p[3]) * 257
		}
	case *image.NRGBA:
		return func(x, y int) (uint32, uint32, uint32, uint32) {
			p := m.Pix[m.PixOffset(x, y):]
			a := uint32(p[3]) * 257
			// Premultiplied, as color.NRGBA.RGBA does.
			return uint32(p[0]) * 257 * a / 0xffff, uint32(p[1]) * 257 * a / 0xffff, uint32(p[2]) * 257 * a / 0xffff, a
		}
	case *image.Paletted:
		pal := make([][4]uint32, len(m.Palette))
		for i, c := range m.Palette {
			r, g, b, a := c.RGBA()
			pal[i] = [4]uint32{r, g, b, a}
		}
		return func(x, y int) (uint32, uint32, uint32, uint32) {
			i := m.Pix[m.PixOffset(x, y)]
			if int(i) >= len(pal) {
				return 0, 0, 0, 0
			}
			c := pal[i]
			return c[0], c[1], c[2], c[3]
		}
	}
	return func(x, y int) (uint32, uint32, uint32, uint32) { return src.At(x, y).RGBA() }
}

// ThumbType is the media type of the thumbnail of an image of type t (see
// encodeThumb).
func ThumbType(t string) string {
	if t == "image/jpeg" {
		return t
	}
	return "image/png"
}
