package protocol

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseNameFoldsToOneKey(t *testing.T) {
	want, err := ParseName("Alice")
	if err != nil {
		t.Fatal(err)
	}
	if want.Display != "Alice" || want.Key != "alice" {
		t.Fatalf("ParseName(Alice) = %+v", want)
	}
	for _, s := range []string{"alice", "ALICE", "ＡＬＩＣＥ", "  Alice ", "Ａｌｉｃｅ"} {
		got, err := ParseName(s)
		if err != nil {
			t.Fatalf("ParseName(%q): %v", s, err)
		}
		if got.Key != want.Key {
			t.Errorf("ParseName(%q).Key = %q, want %q", s, got.Key, want.Key)
		}
	}
}

func TestParseNameKeepsCaseAndCollapsesSpaces(t *testing.T) {
	got, err := ParseName("  Mary   Ann  ")
	if err != nil {
		t.Fatal(err)
	}
	if got.Display != "Mary Ann" {
		t.Errorf("Display = %q, want %q", got.Display, "Mary Ann")
	}
}

func TestParseNameRefusals(t *testing.T) {
	for _, tc := range []struct{ in, says string }{
		{"", "at least one visible character"},
		{"    ", "at least one visible character"},
		{strings.Repeat("a", MaxNameRunes+1), "at most 32 characters"},
		{"bad\x00name", "control characters"},
		{"bell\a", "control characters"},
		{"tab\tname", "control characters"},
		{"\U000e0001x", "control characters"},
	} {
		_, err := ParseName(tc.in)
		var perr *Error
		if !errors.As(err, &perr) || perr.Code != CodeInvalidName {
			t.Errorf("ParseName(%q) = %v, want invalid_name", tc.in, err)
			continue
		}
		if !strings.Contains(perr.Message, tc.says) {
			t.Errorf("ParseName(%q) message %q does not say %q", tc.in, perr.Message, tc.says)
		}
	}
}

func TestParseNameAcceptsLongestName(t *testing.T) {
	s := strings.Repeat("é", MaxNameRunes)
	if _, err := ParseName(s); err != nil {
		t.Fatalf("ParseName of %d runes: %v", MaxNameRunes, err)
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"Alice", "ＡＬＩＣＥ", "  Alice ", "", "\x00", "Mary  Ann", "😀", strings.Repeat("x", 40), "\u0301a", "İstanbul", "ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Code != CodeInvalidName || perr.Message == "" {
				t.Fatalf("ParseName(%q) error %v is not a readable invalid_name", s, err)
			}
			return
		}
		if n.Display == "" || n.Key == "" {
			t.Fatalf("ParseName(%q) accepted an empty name: %+v", s, n)
		}
		if c := utf8.RuneCountInString(n.Display); c > MaxNameRunes {
			t.Fatalf("ParseName(%q) accepted %d runes", s, c)
		}
		// Normalisation is idempotent: the display form is its own name.
		again, err := ParseName(n.Display)
		if err != nil {
			t.Fatalf("ParseName(%q) rejects its own display form %q: %v", s, n.Display, err)
		}
		if again.Key != n.Key || again.Display != n.Display {
			t.Fatalf("ParseName not idempotent: %q -> %+v -> %+v", s, n, again)
		}
	})
}
