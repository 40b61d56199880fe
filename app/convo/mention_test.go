package convo

import (
	"fmt"
	"testing"

	"hark/app/protocol"
)

func TestMentions(t *testing.T) {
	alice := protocol.NameKey("Alice")
	mary := protocol.NameKey("Mary Ann")
	tests := []struct {
		text, key string
		want      bool
	}{
		{"@Alice hi", alice, true},
		{"hi @alice", alice, true},
		{"hi @ＡＬＩＣＥ!", alice, true},
		{"(@Alice)", alice, true},
		{"@Alice.", alice, true},
		{"@Alicette", alice, false},
		{"@Alice2", alice, false},
		{"alice@example.com", alice, false},
		{"mail alice@Alice", alice, false},
		{"Alice", alice, false},
		{"@", alice, false},
		{"@@Alice", alice, true},
		{"@Mary Ann, look", mary, true},
		{"@Mary Annie", mary, false},
		{"@Bob", alice, false},
		{"@Alice", "", false},
	}
	for _, tt := range tests {
		if got := Mentions(tt.text, tt.key); got != tt.want {
			t.Errorf("Mentions(%q, %q) = %v, want %v", tt.text, tt.key, got, tt.want)
		}
	}
}

func TestMentionQuery(t *testing.T) {
	tests := []struct {
		text   string
		caret  int
		at     int
		prefix string
		ok     bool
	}{
		{"@", 1, 0, "", true},
		{"hi @al", 6, 3, "al", true},
		{"hi @al there", 6, 3, "al", true},
		{"hi @al there", 12, 0, "", false},
		{"mail a@b", 8, 0, "", false},
		{"no at", 5, 0, "", false},
		{"@x", 9, 0, "", false},
	}
	for _, tt := range tests {
		at, prefix, ok := MentionQuery(tt.text, tt.caret)
		if at != tt.at || prefix != tt.prefix || ok != tt.ok {
			t.Errorf("MentionQuery(%q, %d) = %d %q %v, want %d %q %v", tt.text, tt.caret, at, prefix, ok, tt.at, tt.prefix, tt.ok)
		}
	}
}

func TestMatchNames(t *testing.T) {
	names := []string{"Alan", "alice", "Alice2", "Bob", "ＡＬＩ"}
	got := MatchNames(names, "AL", protocol.NameKey("Alice"), 3)
	if fmt.Sprint(got) != "[Alan Alice2 ＡＬＩ]" {
		t.Errorf("MatchNames = %v", got)
	}
	if got := MatchNames(names, "", "", 2); fmt.Sprint(got) != "[Alan alice]" {
		t.Errorf("MatchNames with no prefix = %v", got)
	}
}
