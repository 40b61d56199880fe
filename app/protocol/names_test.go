package protocol

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
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
		// The bound checked before normalising refuses only names that
		// normalise to more than MaxNameRunes (or not at all).
		if len(s) <= MaxNameInputBytes && decomposedLen(s) > maxNameDecomposed {
			if d, err := precis.Nickname.String(s); err == nil && utf8.RuneCountInString(d) <= MaxNameRunes {
				t.Fatalf("ParseName(%q) refuses %q, a valid name, before normalising", s, d)
			}
		}
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

// Every way of typing a longest name passes the bounds checked before
// normalisation: wide forms, and sequences that compose into one character.
func TestParseNameAcceptsLongestInputForms(t *testing.T) {
	fullwidth := strings.Repeat("Ｗ", MaxNameRunes)                               // 3 bytes each, to "W"
	composing := strings.Repeat("e\u0301", MaxNameRunes)                         // to "é"
	greek := strings.Repeat("\u03b1\u0313\u0300\u0345", MaxNameRunes)            // 4 to 1: "ᾂ"
	jamo := strings.Repeat("\u1100\u1161\u11a8", MaxNameRunes)                   // 9 bytes to "각"
	halfwidth := strings.Repeat("\uffa1\uffc2", MaxNameRunes)                    // halfwidth jamo to "가"
	spaced := "\u3000" + strings.Repeat("Ａ\u3000", MaxNameRunes/2-1) + "Ａ\u3000" // ideographic spaces
	for _, s := range []string{fullwidth, composing, greek, jamo, halfwidth, spaced, "  " + jamo + "  "} {
		if len(s) > MaxNameInputBytes {
			t.Errorf("%d bytes %q: over MaxNameInputBytes", len(s), s)
		}
		n, err := ParseName(s)
		if err != nil {
			t.Errorf("ParseName(%q) (%d bytes): %v", s, len(s), err)
			continue
		}
		if c := utf8.RuneCountInString(n.Display); c > MaxNameRunes || c < MaxNameRunes-1 {
			t.Errorf("ParseName(%q) = %q, %d runes", s, n.Display, c)
		}
	}
}

// adversarialNames are inputs that would make normalisation expensive:
// characters that expand, bodies as large as a request, and the longest
// inputs the byte bound lets through. Each maps to whether it is a valid
// name.
func adversarialNames() map[string]struct {
	s     string
	valid bool
} {
	fdfa := "\ufdfa" // ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM: 18 runes in NFKC
	type name = struct {
		s     string
		valid bool
	}
	return map[string]name{
		"16KiB U+FDFA":       {strings.Repeat(fdfa, MaxBodyBytes/len(fdfa)), false},
		"bound of U+FDFA":    {strings.Repeat(fdfa, MaxNameInputBytes/len(fdfa)), false},
		"bound of emoji":     {strings.Repeat("😀", MaxNameInputBytes/4), false},
		"bound of marks":     {"a" + strings.Repeat("\u0301", (MaxNameInputBytes-1)/2), false},
		"bound of ideograph": {strings.Repeat("\u3000", MaxNameInputBytes/3), false},
		"16KiB of x":         {strings.Repeat("x", MaxBodyBytes), false},
		// Spaces collapse to one: valid, and as long as the bound allows.
		"bound of spaces": {"a" + strings.Repeat(" ", MaxNameInputBytes-2) + "b", true},
	}
}

// No input costs more than a bounded amount of work: a 16 KiB name of
// U+FDFA used to take 20 ms, because normalisation ran before any length
// check. The work is counted in bytes allocated (normalising allocates in
// proportion to what it expands), not in time, which a loaded machine
// stretches: before the bounds, the U+FDFA case allocated megabytes.
func TestParseNameIsCheapForAnyInput(t *testing.T) {
	for what, tc := range adversarialNames() {
		_, err := ParseName(tc.s)
		var perr *Error
		switch {
		case tc.valid && err != nil:
			t.Errorf("%s: %v", what, err)
		case !tc.valid && (!errors.As(err, &perr) || perr.Code != CodeInvalidName):
			t.Errorf("%s: %v, want invalid_name", what, err)
		}
		per := allocatedPerCall(func() { ParseName(tc.s) })
		if per > maxNameWork {
			t.Errorf("%s (%d bytes): %d bytes allocated per ParseName, want at most %d", what, len(tc.s), per, maxNameWork)
		}
	}
}

// maxNameWork is the most a ParseName may allocate, whatever its input:
// a few copies of the largest input it normalises (MaxNameInputBytes).
const maxNameWork = 32 * MaxNameInputBytes

// allocatedPerCall is the bytes f allocates, on average over a few calls.
func allocatedPerCall(f func()) uint64 {
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

func TestParseNameRefusesOverlongInputSayingWhy(t *testing.T) {
	_, err := ParseName(strings.Repeat("\ufdfa", 1000))
	var perr *Error
	if !errors.As(err, &perr) || perr.Code != CodeInvalidName || !strings.Contains(perr.Message, "at most 32 characters") {
		t.Fatalf("ParseName(1000 × U+FDFA) = %v, want invalid_name saying the limit", err)
	}
	_, err = ParseName(strings.Repeat("\ufdfa", 3))
	if !errors.As(err, &perr) || perr.Code != CodeInvalidName || !strings.Contains(perr.Message, "at most 32 characters") {
		t.Fatalf("ParseName(3 × U+FDFA) = %v, want invalid_name saying the limit", err)
	}
}

func BenchmarkParseNameAdversarial(b *testing.B) {
	for what, tc := range adversarialNames() {
		b.Run(strings.ReplaceAll(what, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				ParseName(tc.s)
			}
		})
	}
}
