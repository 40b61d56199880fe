package protocol

import (
	"strings"
	"testing"
)

func TestCleanFileName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"cat.png", "cat.png"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\a\report.pdf`, "report.pdf"},
		{"a\x00b\nc.txt", "abc.txt"},
		{"evil\u202egnp.exe", "evilgnp.exe"}, // no right-to-left override
		{"  spaced  ", "spaced"},
		{"", "file"},
		{"..", "file"},
		{"dir/", "file"},
		{strings.Repeat("é", 200), strings.Repeat("é", 127)},
	} {
		if got := CleanFileName(c.in); got != c.want {
			t.Errorf("CleanFileName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSendWithAFile(t *testing.T) {
	if _, err := DecodeSend([]byte(`{"id":"a","file":"f1"}`)); err != nil {
		t.Errorf("a file without text: %v", err)
	}
	if _, err := DecodeSend([]byte(`{"id":"a","file":"f1","text":"look"}`)); err != nil {
		t.Errorf("a file with text: %v", err)
	}
	if _, err := DecodeSend([]byte(`{"id":"a","file":"` + strings.Repeat("f", 65) + `"}`)); err == nil {
		t.Error("a 65-character file id was taken")
	}
	if _, err := DecodeSend([]byte(`{"id":"a","file":"f1","text":"  "}`)); err == nil {
		t.Error("blank text beside a file was taken")
	}
	if _, err := DecodeSend([]byte(`{"id":"a"}`)); err == nil {
		t.Error("neither text nor file was taken")
	}
}
