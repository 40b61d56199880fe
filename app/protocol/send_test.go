package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecodeSend(t *testing.T) {
	s, err := DecodeSend([]byte(`{"id":"c-1","to":"Bob","text":"hi","extra":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "c-1" || s.To != "Bob" || s.Text != "hi" {
		t.Fatalf("DecodeSend = %+v", s)
	}
	if _, err := DecodeSend([]byte(`{"type":"send","id":"x","text":"hi"}`)); err != nil {
		t.Fatalf("send frame refused: %v", err)
	}
}

func TestDecodeSendRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, body, code, says string
	}{
		{"not json", `{"id":`, CodeBadRequest, "malformed JSON"},
		{"array", `[]`, CodeBadRequest, "JSON object"},
		{"wrong type", `{"id":"a","text":5}`, CodeBadRequest, `"text"`},
		{"no id", `{"text":"hi"}`, CodeBadRequest, "needs an id"},
		{"long id", `{"id":"` + strings.Repeat("i", 65) + `","text":"hi"}`, CodeBadRequest, "1 to 64"},
		{"empty text", `{"id":"a","text":""}`, CodeBadRequest, "empty"},
		{"blank text", `{"id":"a","text":" \n\t "}`, CodeBadRequest, "empty"},
		{"long text", `{"id":"a","text":"` + strings.Repeat("x", MaxTextBytes+1) + `"}`, CodeTooLarge, "4096"},
		{"huge body", `{"id":"a","text":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, CodeTooLarge, "16384"},
		{"other frame", `{"type":"ack","id":"a","text":"x"}`, CodeBadRequest, "cannot be sent"},
	} {
		_, err := DecodeSend([]byte(tc.body))
		var perr *Error
		if !errors.As(err, &perr) || perr.Code != tc.code || !strings.Contains(perr.Message, tc.says) {
			t.Errorf("%s: DecodeSend = %v, want %s saying %q", tc.name, err, tc.code, tc.says)
		}
	}
}

func TestTextAtLimitIsAccepted(t *testing.T) {
	s := Send{ID: "a", Text: strings.Repeat("x", MaxTextBytes)}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestEventJSON(t *testing.T) {
	tm := &Time{}
	if err := json.Unmarshal([]byte(`"2026-11-22T04:38:34.123Z"`), tm); err != nil {
		t.Fatal(err)
	}
	e := Event{Seq: 42, Type: TypeMessage, ID: "c-7f3a", From: "Alice", To: "Bob", Text: "hi", Time: tm}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":42,"type":"message","id":"c-7f3a","from":"Alice","to":"Bob","text":"hi","time":"2026-11-22T04:38:34.123Z"}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	hello := Event{Type: TypeHello, Name: "Alice", Online: 2, Users: []string{"Alice", "Bob"}, Epoch: "k3f9", Seq: 44}
	b, _ = json.Marshal(hello)
	want = `{"seq":44,"type":"hello","name":"Alice","online":2,"users":["Alice","Bob"],"epoch":"k3f9"}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	if hello.Sequenced() || !e.Sequenced() {
		t.Fatal("Sequenced is wrong")
	}
}

func FuzzDecodeSend(f *testing.F) {
	for _, s := range []string{
		`{"id":"c-1","text":"hi"}`, `{"id":"c-1","to":"Bob","text":"hi"}`, `{"type":"send","id":"x","text":"y"}`,
		`{`, `null`, `[]`, `{"id":1}`, `{"id":"a","text":"\u0000"}`, `{"id":"a","text":"\ud800"}`, `"str"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSend(b)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Message == "" || perr.Status() >= 500 {
				t.Fatalf("DecodeSend(%q) = %v: not a client error with a message", b, err)
			}
			return
		}
		if s.ID == "" || len(s.Text) > MaxTextBytes || strings.TrimSpace(s.Text) == "" {
			t.Fatalf("DecodeSend(%q) accepted %+v", b, s)
		}
	})
}
