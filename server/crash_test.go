package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hark/app/protocol"
	"hark/internal/proc"
	"hark/internal/sse"
	"hark/internal/testkit"
)

// crashWait bounds every wait of TestKillNineLosesNothing: it fails, never
// hangs.
const crashWait = 10 * time.Second

// The durable store keeps what it acknowledged through a SIGKILL, with no
// chance to flush or close: the real binary, killed right after its last
// acknowledged send while a reader streams on each transport, restarts on
// the same -data directory with the same epoch, tokens and names; history
// holds every acknowledged message once; each reader resumes on its own
// transport from the last seq it saw, gets no reset, and ends up with every
// seq visible to it exactly once and in order (and so does a replay from
// its registration, read back from the disk); a retry of an acknowledged id
// answers the first seq and is not stored again.
func TestKillNineLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	began := time.Now()
	bin := buildHark(t)
	data, web := t.TempDir(), t.TempDir()
	h := startHark(t, bin, data, web)

	names := []string{"Alice", "Bob", "Carol"}
	kinds := []string{"ws", "sse", "poll"} // the transport each one reads on
	var sess [3]protocol.Session
	for i, n := range names {
		code, body := crashCall(t, "POST", h.url+"/api/session", "", protocol.SessionRequest{Name: n})
		if code != http.StatusCreated || json.Unmarshal(body, &sess[i]) != nil {
			t.Fatalf("registering %s: %d %s", n, code, body)
		}
	}
	epoch := sess[0].Epoch
	var before [3]*reader
	for i := range sess {
		before[i] = openStream(t, h.url, kinds[i], sess[i].Token, sess[i].Seq, epoch)
	}

	// Each sends 20 at once with the others; every 4th is a direct message
	// to the next person.
	type sent struct {
		from, to int // to is -1 for a broadcast
		seq      uint64
	}
	var mu sync.Mutex
	acked := map[string]sent{}
	var wg sync.WaitGroup
	for i := range sess {
		wg.Go(func() {
			for k := range 20 {
				s := protocol.Send{ID: fmt.Sprintf("%s-%d", names[i], k), Text: fmt.Sprintf("message %d from %s", k, names[i])}
				to := -1
				if k%4 == 3 {
					to = (i + 1) % 3
					s.To = names[to]
				}
				seq, err := trySend(h.url, sess[i].Token, s)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[s.ID] = sent{i, to, seq}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	h.kill(t)
	if t.Failed() {
		t.FailNow()
	}
	var maxAck uint64
	for _, s := range acked {
		maxAck = max(maxAck, s.seq)
	}
	visible := func(i int) map[string]uint64 {
		v := map[string]uint64{}
		for id, s := range acked {
			if s.to < 0 || s.from == i || s.to == i {
				v[id] = s.seq
			}
		}
		return v
	}

	var last [3]uint64
	for i, r := range before {
		r.waitEnd(t)
		for _, e := range r.events() {
			if e.Sequenced() {
				last[i] = e.Seq
			}
		}
		got := 0
		for _, seq := range visible(i) {
			if seq <= last[i] {
				got++
			}
		}
		t.Logf("%s on %s had seen up to seq %d (%d of the %d acknowledged messages visible to it) when killed", names[i], kinds[i], last[i], got, len(visible(i)))
	}

	h = startHark(t, bin, data, web)
	var after [3]*reader
	for i := range sess {
		after[i] = openStream(t, h.url, kinds[i], sess[i].Token, last[i], epoch)
	}

	// The epoch and the head survive.
	var dave protocol.Session
	if code, body := crashCall(t, "POST", h.url+"/api/session", "", protocol.SessionRequest{Name: "Dave"}); code != http.StatusCreated || json.Unmarshal(body, &dave) != nil {
		t.Fatalf("registering Dave after the restart: %d %s", code, body)
	}
	if dave.Epoch != epoch || dave.Seq < maxAck {
		t.Errorf("after the restart: epoch %q head %d, want epoch %q and a head of at least %d", dave.Epoch, dave.Seq, epoch, maxAck)
	}
	// The names are still held.
	for _, n := range names {
		code, body := crashCall(t, "POST", h.url+"/api/session", "", protocol.SessionRequest{Name: strings.ToUpper(n)})
		var eb protocol.ErrorBody
		if json.Unmarshal(body, &eb); code != http.StatusConflict || eb.Error == nil || eb.Error.Code != protocol.CodeNameTaken {
			t.Errorf("registering %s after the restart: %d %s, want 409 name_taken", strings.ToUpper(n), code, body)
		}
	}
	// A retry of an acknowledged broadcast and of a direct message answers
	// the first seq.
	for _, id := range []string{"Alice-0", "Bob-19", "Bob-3"} {
		a := acked[id]
		s := protocol.Send{ID: id, Text: "a retry"}
		if a.to >= 0 {
			s.To = names[a.to]
		}
		if seq, err := trySend(h.url, sess[a.from].Token, s); err != nil || seq != a.seq {
			t.Errorf("retry of %s after the restart: seq %d (%v), want the first %d", id, seq, err, a.seq)
		}
	}
	mark := protocol.Send{ID: "after-restart", Text: "after the restart"}
	markSeq, err := trySend(h.url, sess[0].Token, mark)
	if err != nil {
		t.Fatal(err)
	}

	for i := range sess {
		want := visible(i)
		want[mark.ID] = markSeq
		code, body := crashCall(t, "GET", h.url+"/api/history?limit=500", sess[i].Token, nil)
		var hist protocol.Events
		if code != http.StatusOK || json.Unmarshal(body, &hist) != nil {
			t.Errorf("%s's old token after the restart: GET /api/history: %d %s", names[i], code, body)
			continue
		}
		checkEvents(t, names[i]+"'s history", hist.Events, want)

		// Resumed where it was cut, and replayed from the start (all of it
		// now read back from the disk), on its own transport.
		from := openStream(t, h.url, kinds[i], sess[i].Token, sess[i].Seq, epoch)
		for _, r := range []*reader{after[i], from} {
			r.waitSeq(t, markSeq)
			if evs := r.events(); kinds[i] != "poll" && (evs[0].Type != protocol.TypeHello || evs[0].Epoch != epoch) {
				t.Errorf("%s's %s stream after the restart: first event %+v, want a hello in epoch %q", names[i], kinds[i], evs[0], epoch)
			}
		}
		checkEvents(t, fmt.Sprintf("%s's %s stream, up to seq %d before the kill and resumed from there", names[i], kinds[i], last[i]),
			append(before[i].events(), after[i].events()...), want)
		checkEvents(t, fmt.Sprintf("%s's %s stream replayed from seq %d after the restart", names[i], kinds[i], sess[i].Seq), from.events(), want)
		for _, r := range []*reader{before[i], after[i], from} {
			for _, p := range r.problemList() {
				t.Errorf("%s's %s stream: %s", names[i], kinds[i], p)
			}
		}
	}
	t.Logf("%d messages acknowledged (seqs up to %d), killed, restarted: %v in all", len(acked), maxAck, time.Since(began).Round(time.Millisecond))
}

// checkEvents checks that evs has no reset, its seqs strictly increase,
// and its messages are exactly want (id to seq), each once.
func checkEvents(t *testing.T, what string, evs []protocol.Event, want map[string]uint64) {
	t.Helper()
	var prev uint64
	for _, e := range evs {
		if e.Type == protocol.TypeReset {
			t.Errorf("%s: a reset after seq %d", what, prev)
		}
		if e.Sequenced() {
			if e.Seq <= prev {
				t.Errorf("%s: seq %d after %d", what, e.Seq, prev)
			}
			prev = e.Seq
		}
	}
	got := map[string][]uint64{}
	for _, e := range evs {
		if e.Type == protocol.TypeMessage {
			got[e.ID] = append(got[e.ID], e.Seq)
		}
	}
	for id, seq := range want {
		if g := got[id]; len(g) != 1 || g[0] != seq {
			t.Errorf("%s: message %s at seqs %v, want once at %d", what, id, g, seq)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: unexpected message %s at seqs %v", what, id, g)
		}
	}
}

// hark is a running server binary.
type hark struct {
	url       string
	proc      *proc.Process
	out, errs *testkit.Buffer
}

// startHark runs the binary on the data directory and waits for it to say
// where it serves; the test's end kills it if it still runs.
func startHark(t *testing.T, bin, data, web string) *hark {
	t.Helper()
	return runHark(t, exec.Command(bin, "-addr", "127.0.0.1:0", "-data", data, "-store", "nats", "-nats=", "-web", web,
		"-log-level", "warn", "-rate", "1000", "-burst", "1000",
		"-addr-register-rate", "0", "-addr-sessions", "0", "-addr-streams", "0", "-addr-read-rate", "0", "-addr-send-rate", "0"))
}

// harkBin is the server binary, built once for every test that runs it,
// into a directory that TestMain removes.
var harkBin = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "hark")
	return bin, proc.Build(".", bin, ".")
})

// buildHark returns the server binary, built at the first call.
func buildHark(t *testing.T) string {
	t.Helper()
	bin, err := harkBin()
	if err != nil {
		t.Fatalf("building the server: %v", err)
	}
	return bin
}

// runHark starts cmd, a server binary, and waits for it to say where it
// serves; the test's end kills it if it still runs.
func runHark(t *testing.T, cmd *exec.Cmd) *hark {
	t.Helper()
	h := &hark{out: &testkit.Buffer{}, errs: &testkit.Buffer{}}
	cmd.Stdout, cmd.Stderr = h.out, h.errs
	p, err := proc.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	h.proc = p
	t.Cleanup(func() {
		h.kill(t)
		if t.Failed() {
			t.Logf("server (pid %d) stderr:\n%s", p.Pid(), h.errs)
		}
	})
	if h.url, err = p.URL(crashWait); err != nil {
		t.Fatalf("%v:\n%s", err, h.errs)
	}
	return h
}

// kill sends SIGKILL and waits for the process to be gone.
func (h *hark) kill(t *testing.T) {
	if !h.proc.Kill(crashWait) {
		t.Errorf("the server (pid %d) did not die of SIGKILL", h.proc.Pid())
	}
}

var crashClient = &http.Client{Timeout: crashWait}

// crashDo sends a request with an optional bearer token and JSON body.
func crashDo(method, u, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := crashClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func crashCall(t *testing.T, method, u, token string, body any) (int, []byte) {
	t.Helper()
	code, b, err := crashDo(method, u, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	return code, b
}

// trySend posts s and returns the acknowledged seq.
func trySend(base, token string, s protocol.Send) (uint64, error) {
	code, b, err := crashDo("POST", base+"/api/messages", token, s)
	var res protocol.SendResult
	if err == nil && (code != http.StatusOK || json.Unmarshal(b, &res) != nil || res.ID != s.ID || res.Seq == 0) {
		err = fmt.Errorf("sending %s: %d %s", s.ID, code, b)
	}
	return res.Seq, err
}

// reader keeps every event of one stream, on any transport.
type reader struct {
	mu       sync.Mutex
	evs      []protocol.Event
	problems []string
	err      error // why it ended; read after done
	done     chan struct{}
}

func (r *reader) add(e protocol.Event) { r.mu.Lock(); r.evs = append(r.evs, e); r.mu.Unlock() }

func (r *reader) problem(f string, a ...any) {
	r.mu.Lock()
	r.problems = append(r.problems, fmt.Sprintf(f, a...))
	r.mu.Unlock()
}

func (r *reader) events() []protocol.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]protocol.Event(nil), r.evs...)
}

func (r *reader) problemList() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.problems...)
}

// decode adds the JSON event b and returns it.
func (r *reader) decode(b []byte) protocol.Event {
	var e protocol.Event
	if err := json.Unmarshal(b, &e); err != nil {
		r.problem("%q is not an event: %v", b, err)
	} else {
		r.add(e)
	}
	return e
}

// waitSeq waits until the stream has delivered a seq of at least seq.
func (r *reader) waitSeq(t *testing.T, seq uint64) {
	t.Helper()
	testkit.Within(t, crashWait, fmt.Sprintf("seq %d on the stream", seq), func() bool {
		evs := r.events()
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Sequenced() && evs[i].Seq >= seq {
				return true
			}
		}
		select {
		case <-r.done:
			t.Fatalf("the stream ended (%v) before seq %d", r.err, seq)
		default:
		}
		return false
	})
}

func (r *reader) waitEnd(t *testing.T) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(crashWait):
		t.Fatalf("a stream was still open %v after the server was killed", crashWait)
	}
}

// openStream opens a stream of kind ws, sse or poll from since in epoch
// and reads it until it ends or the test does.
func openStream(t *testing.T, base, kind, token string, since uint64, epoch string) *reader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &reader{done: make(chan struct{})}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(crashWait):
			t.Errorf("the %s reader did not stop", kind)
		}
	})
	q := url.Values{"token": {token}, "since": {strconv.FormatUint(since, 10)}, "epoch": {epoch}}
	var loop func() error
	switch kind {
	case "ws":
		dctx, dcancel := context.WithTimeout(ctx, crashWait)
		conn, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(base, "http")+"/api/ws?"+q.Encode(), nil)
		dcancel()
		if err != nil {
			close(r.done)
			t.Fatalf("opening a WebSocket from seq %d in epoch %q: %v", since, epoch, err)
		}
		conn.SetReadLimit(1 << 20)
		loop = func() error {
			defer conn.CloseNow()
			for {
				_, b, err := conn.Read(ctx)
				if err != nil {
					return err
				}
				r.decode(b)
			}
		}
	case "sse":
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/events?"+q.Encode(), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			close(r.done)
			t.Fatalf("opening an SSE stream from seq %d in epoch %q: %v %v", since, epoch, err, resp)
		}
		loop = func() error {
			defer resp.Body.Close()
			p := sse.NewParser(resp.Body)
			var id string
			p.OnField = func(name, value string) {
				if name == "id" {
					id = value
				}
			}
			for {
				ev, err := p.Next()
				if err != nil {
					return fmt.Errorf("SSE ended: %v", err)
				}
				if e := r.decode([]byte(ev.Data)); e.Sequenced() != (id != "") || id != "" && id != strconv.FormatUint(e.Seq, 10) {
					r.problem("event %s under id %q", ev.Data, id)
				}
				id = ""
			}
		}
	case "poll":
		loop = func() error {
			for {
				req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/poll?"+url.Values{"since": {strconv.FormatUint(since, 10)}, "epoch": {epoch}}.Encode(), nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				var evs protocol.Events
				err = json.NewDecoder(resp.Body).Decode(&evs)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					return fmt.Errorf("poll: %d %v", resp.StatusCode, err)
				}
				for _, e := range evs.Events {
					if e.Type == protocol.TypeHello {
						epoch = e.Epoch
					}
					if e.Sequenced() || e.Type == protocol.TypeHello {
						since = e.Seq
					}
					r.add(e)
				}
			}
		}
	}
	go func() { r.err = loop(); close(r.done) }()
	return r
}
