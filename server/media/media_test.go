package media_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"hark/app/protocol"
	"hark/server/media"
)

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Types come from the bytes; a claimed image type that the bytes are not
// is refused, saying what the file is.
func TestSniffAndClaims(t *testing.T) {
	pngData := encodePNG(t, image.NewRGBA(image.Rect(0, 0, 2, 2)))
	for _, c := range []struct {
		data          string
		claim, sniff  string
		refused, says string
	}{
		{string(pngData), "image/png", "image/png", "", ""},
		{"<!DOCTYPE html><script>alert(1)</script>", "image/png", "text/html", "refused", "the file is text/html, not image/png as it says"},
		{`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "image/svg+xml", "text/xml", "", ""},
		{`<?xml version="1.0"?><svg/>`, "image/gif", "text/xml", "refused", "the file is text/xml, not image/gif as it says"},
		{`<svg xmlns="http://www.w3.org/2000/svg"></svg>`, "text/plain", "text/plain", "", ""},
		{"hello", "", "text/plain", "", ""},
		{"\xff\xd8\xff\xe0 jpeg", "image/jpg", "image/jpeg", "", ""},
	} {
		got := media.Sniff([]byte(c.data))
		if got != c.sniff {
			t.Errorf("Sniff(%.20q) = %q, want %q", c.data, got, c.sniff)
		}
		err := media.CheckClaim(c.claim, got)
		if (err != nil) != (c.refused != "") || err != nil && err.Error() != c.says && !bytes.Contains([]byte(err.Error()), []byte(c.says)) {
			t.Errorf("CheckClaim(%q, %q) = %v, want refused %v saying %q", c.claim, got, err, c.refused != "", c.says)
		}
	}
	if media.Decodable("image/svg+xml") || !media.Decodable("image/gif") {
		t.Error("Decodable: SVG is no image here, GIF is")
	}
}

// A large image gets its size and a thumbnail whose longer side is
// ThumbPixels, each pixel the average of its area: a half black, half
// white image is black then white with grey only at the seam.
func TestInspectMakesAThumbnail(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 1000, 500))
	for y := range 500 {
		for x := range 1000 {
			v := uint8(0)
			if x >= 500 {
				v = 255
			}
			src.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	img, ok := media.Inspect(encodePNG(t, src))
	if !ok || img.Width != 1000 || img.Height != 500 || img.Thumb == nil {
		t.Fatalf("Inspect: %+v, %v", img, ok)
	}
	th, err := png.Decode(bytes.NewReader(img.Thumb))
	if err != nil {
		t.Fatalf("the thumbnail is no PNG: %v", err)
	}
	if b := th.Bounds(); b.Dx() != protocol.ThumbPixels || b.Dy() != protocol.ThumbPixels/2 {
		t.Fatalf("thumbnail %v, want %dx%d", b, protocol.ThumbPixels, protocol.ThumbPixels/2)
	}
	if r, _, _, _ := th.At(10, 10).RGBA(); r != 0 {
		t.Errorf("left of the thumbnail is %d, want black", r)
	}
	if r, _, _, _ := th.At(protocol.ThumbPixels-10, 10).RGBA(); r != 0xffff {
		t.Errorf("right of the thumbnail is %d, want white", r)
	}
}

// A JPEG photo's thumbnail is a JPEG; an image no larger than a thumbnail
// gets none; an image claiming more than MaxPixels is not decoded.
func TestInspectJPEGSmallAndBombs(t *testing.T) {
	var b bytes.Buffer
	jpeg.Encode(&b, image.NewYCbCr(image.Rect(0, 0, 800, 600), image.YCbCrSubsampleRatio420), nil)
	img, ok := media.Inspect(b.Bytes())
	if !ok || img.Thumb == nil || media.Sniff(img.Thumb) != "image/jpeg" {
		t.Fatalf("a JPEG's thumbnail: %+v %v (%s)", img, ok, media.Sniff(img.Thumb))
	}
	img, ok = media.Inspect(encodePNG(t, image.NewGray(image.Rect(0, 0, 100, 80))))
	if !ok || img.Width != 100 || img.Height != 80 || img.Thumb != nil {
		t.Fatalf("a small image: %+v %v, want its size and no thumbnail", img, ok)
	}
	// A PNG header claiming 10000x10000 (100 megapixels), with no pixels.
	bomb := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	copy(bomb[16:24], []byte{0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10})
	if img, ok := media.Inspect(bomb); ok {
		t.Fatalf("an image of 100 megapixels was read: %+v", img)
	}
	if _, ok := media.Inspect([]byte("\x89PNG\r\n\x1a\nbroken")); ok {
		t.Fatal("a broken PNG was read")
	}
}

// Shrink's fast paths read pixels as the generic path does: an NRGBA
// half transparent shrinks to what its colours premultiplied average to.
func TestShrinkFastPathsAgree(t *testing.T) {
	n := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	g := image.NewRGBA64(image.Rect(0, 0, 4, 4)) // no fast path
	for y := range 4 {
		for x := range 4 {
			c := color.NRGBA{uint8(60 * x), uint8(50 * y), 200, uint8(40 + 50*x)}
			n.Set(x, y, c)
			g.Set(x, y, c)
		}
	}
	a, b := media.Shrink(n, 2), media.Shrink(g, 2)
	for i := range a.Pix {
		if d := int(a.Pix[i]) - int(b.Pix[i]); d < -1 || d > 1 {
			t.Fatalf("byte %d: NRGBA %d, generic %d", i, a.Pix[i], b.Pix[i])
		}
	}
}
