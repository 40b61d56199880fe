package convo

import (
	"fmt"
	"testing"

	"hark/app/client"
)

// Who is typing is told by conversation: a room's by its key, apart
// from everyone's and the direct ones.
func TestTypingIn(t *testing.T) {
	st := client.State{Typing: []client.Typist{
		{Name: "Bob", Room: "r1"}, {Name: "Carol"}, {Name: "Dora", Direct: true}, {Name: "Erin", Room: "r2"}, {Name: "Carol", Room: "r1"},
	}}
	for with, want := range map[string]string{
		RoomKey("r1"): "[Bob Carol]", RoomKey("r2"): "[Erin]", RoomKey("r3"): "[]",
		"": "[Carol]", "dora": "[Dora]", "Bob": "[]",
	} {
		if got := fmt.Sprint(TypingIn(st, with)); got != want {
			t.Errorf("TypingIn(%q) = %s, want %s", with, got, want)
		}
	}
}
