package ui

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The QR code holds the app's address with the code, on the page's own
// origin, as a PNG data URL a browser shows; the countdown reads m:ss and
// the spelled code has each character apart.
func TestDeviceDialogParts(t *testing.T) {
	page, _ := url.Parse("https://chat.example:8443/some/page?x=1#frag")
	link := linkURL(page, "7KQ2-M9XD")
	if link != "https://chat.example:8443/?link=7KQ2-M9XD" {
		t.Fatalf("link %q", link)
	}
	src := qrImage(link)
	b64, ok := strings.CutPrefix(src, "data:image/png;base64,")
	if !ok {
		t.Fatalf("QR image %.40q is not a PNG data URL", src)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the QR code is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 21 || b.Dx() != b.Dy() {
		t.Fatalf("QR image %v, want a square of at least 21 modules", b)
	}
	for d, want := range map[time.Duration]string{2 * time.Minute: "2:00", 61*time.Second + 400*time.Millisecond: "1:01", 9 * time.Second: "0:09"} {
		if got := countdown(d); got != want {
			t.Errorf("countdown(%v) = %q, want %q", d, got, want)
		}
	}
	if got := spelled("AB-1"); got != "A B - 1" {
		t.Errorf("spelled = %q", got)
	}
}
