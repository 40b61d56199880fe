package protocol

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Files: a person uploads a file (POST /api/files), gets its File back, and
// sends a message that carries it (Send.File, the File's ID). The event of
// that message carries the whole File, so a client shows it without asking
// again; its bytes are read with GET /api/files/{id} (and a thumbnail of an
// image with GET /api/files/{id}/thumb) by whoever may see the message. An
// addition to the contract.

// File is a file attached to a message, as its event carries it.
type File struct {
	// ID names the file in GET /api/files/{id}; chosen by the server,
	// unguessable.
	ID string `json:"id"`
	// Name is the file's name as the uploader gave it (cleaned: no path,
	// no control characters, at most MaxFileNameBytes).
	Name string `json:"name"`
	// Type is the media type the server found by reading the file's
	// first bytes, not the one the uploader claimed.
	Type string `json:"type"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
	// Width and Height are an image's, in pixels, so a client reserves
	// its place before the image arrives; 0 for a file that is not an
	// image the server reads (PNG, JPEG, GIF).
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Thumb says GET /api/files/{id}/thumb has a smaller copy of the
	// image, at most ThumbPixels on its longer side.
	Thumb bool `json:"thumb,omitempty"`
}

// Image reports whether clients may show the file inline as an image.
func (f *File) Image() bool { return f.Width > 0 && f.Height > 0 }

// Limits of files.
const (
	// MaxFileNameBytes bounds a file's name.
	MaxFileNameBytes = 255
	// MaxFileIDRunes bounds the file id a send may carry.
	MaxFileIDRunes = 64
	// ThumbPixels is the longer side of a thumbnail, at most.
	ThumbPixels = 320
	// DefaultMaxFileBytes is the largest upload a server takes unless its
	// operator says otherwise (-max-file).
	DefaultMaxFileBytes = 10 << 20
)

// CleanFileName returns the name to keep for an uploaded file called
// name: its last path element, without control or format characters,
// trimmed, cut to MaxFileNameBytes on a character boundary; "file" when
// nothing is left.
func CleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > MaxFileNameBytes {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}
