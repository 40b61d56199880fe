package protocol

import "testing"

func TestValidEmoji(t *testing.T) {
	for _, s := range append([]string{"👍🏽", "👨‍👩‍👧", "🇫🇷", "⭐", "☕️", "©️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"}, Reactions...) {
		if !ValidEmoji(s) {
			t.Errorf("%q (% x) refused, want one emoji", s, s)
		}
	}
	for _, s := range []string{"", "a", "hi", ":+1:", "<b>", " 👍", "👍 ", "🏽", "\u200d👍", "1", "👍\x00", string([]byte{0xf0, 0x9f}), "👍👍👍👍👍👍👍👍👍", "👍👍", "😀🎉", "👩\u200d", "🇫🇷🇫🇷"} {
		if ValidEmoji(s) {
			t.Errorf("%q taken for one emoji", s)
		}
	}
}

func TestDecodeAction(t *testing.T) {
	for _, c := range []struct {
		body string
		code string
	}{
		{`{"type":"react","id":"a","target":3,"emoji":"👍","on":true}`, ""},
		{`{"type":"react","id":"a","target":3,"emoji":"👍"}`, ""},
		{`{"type":"edit","id":"a","target":3,"text":"new"}`, ""},
		{`{"type":"delete","id":"a","target":3}`, ""},
		{`{"type":"delete","id":"a"}`, CodeBadRequest},
		{`{"type":"delete","target":3}`, CodeBadRequest},
		{`{"type":"pin","id":"a","target":3}`, CodeBadRequest},
		{`{"type":"react","id":"a","target":3,"emoji":"x"}`, CodeBadRequest},
		{`{"type":"edit","id":"a","target":3,"text":" "}`, CodeBadRequest},
		{`{"type":"edit","id":"a","target":"3"}`, CodeBadRequest},
		{`not json`, CodeBadRequest},
	} {
		_, err := DecodeAction([]byte(c.body))
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s: %v", c.body, err)
		case c.code != "" && (err == nil || err.(*Error).Code != c.code):
			t.Errorf("%s: %v, want %s", c.body, err, c.code)
		}
	}
}
