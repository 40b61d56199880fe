package protocol

import (
	"encoding/json"
	"reflect"
	"testing"
)

// eventSamples are events as servers write them, and inputs just outside
// the shape DecodeEvent reads itself, which encoding/json must answer.
var eventSamples = []string{
	string(benchMessage),
	`{"seq":7,"type":"message","from":"Ann","to":"Bob","text":"héllo 👋","time":"2026-11-24T02:34:31.123Z"}`,
	`{"seq":1,"type":"hello","name":"Ann","online":3,"users":["Ann","Bob","Cy"],"epoch":"e1"}`,
	`{"type":"presence","online":0,"users":[]}`,
	`{"type":"typing","from":"Ann","to":"Bob"}`,
	`{"type":"error","id":"x","error":{"code":"rate_limited","message":"slow down"}}`,
	`{"type":"reset","epoch":"e2","seq":0}`,
	` { "seq" : 3 , "type" : "join" , "from" : "Ann" } `,
	`{}`,
	`{"text":"a \"quoted\" word\n"}`,
	`{"text":"\u003cb\u003e"}`,
	`{"Seq":5,"TYPE":"message"}`,
	`{"seq":-1}`,
	`{"seq":1.5}`,
	`{"seq":1e3}`,
	`{"seq":01}`,
	`{"seq":18446744073709551615}`,
	`{"seq":18446744073709551616}`,
	`{"online":9223372036854775807}`,
	`{"time":"not a time"}`,
	`{"time":null,"users":null,"text":null}`,
	`{"text":"bad utf-8: ` + "\xff" + `"}`,
	`{"text":"tab` + "\t" + `"}`,
	`{"seq":1,}`,
	`{"seq":1}x`,
	`{"seq":1`,
	`[]`,
	``,
	`{"users":["a",1]}`,
	`{"extra":{"nested":[1,2]},"seq":2}`,
	`{"seq":1,"seq":2,"users":["a"],"users":["b","c"]}`,
}

// TestDecodeEventIsUnmarshal holds DecodeEvent to json.Unmarshal's
// answers on the samples; FuzzDecodeEvent does on anything.
func TestDecodeEventIsUnmarshal(t *testing.T) {
	for _, s := range eventSamples {
		sameAsUnmarshal(t, []byte(s))
	}
}

// TestDecodeEventReadsServerEventsItself checks that events as servers
// write them take the fast path, which the benchmark measures.
func TestDecodeEventReadsServerEventsItself(t *testing.T) {
	for _, s := range eventSamples[:4] {
		var ev Event
		if !decodeSimpleEvent([]byte(s), &ev) {
			t.Errorf("%s went to encoding/json", s)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, s := range eventSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { sameAsUnmarshal(t, b) })
}

func sameAsUnmarshal(t *testing.T, b []byte) {
	t.Helper()
	var want Event
	wantErr := json.Unmarshal(b, &want)
	got, err := DecodeEvent(b)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: DecodeEvent error %v, json.Unmarshal error %v", b, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\nDecodeEvent    %#v\njson.Unmarshal %#v", b, got, want)
	}
}
