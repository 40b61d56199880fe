package ui

import "testing"

// The browser counts the caret in UTF-16 units, Go in bytes.
func TestCaretOffsets(t *testing.T) {
	s := "a😀é@b"
	for units, want := range map[int]int{0: 0, 1: 1, 3: 5, 4: 7, 5: 8, 6: 9, 99: 9} {
		if got := byteOffset(s, units); got != want {
			t.Errorf("byteOffset(%q, %d) = %d, want %d", s, units, got, want)
		}
	}
	if n := utf16Len(s); n != 6 {
		t.Errorf("utf16Len(%q) = %d, want 6", s, n)
	}
}
