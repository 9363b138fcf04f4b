package media

import (
	"testing"
	"time"
)

// input is one thing that happens to a collection, at a time in seconds
// from the start.
type input struct {
	at   float64
	kind byte // 'p' prompt done, 'd' digit, 'x' timer expired, 'r' reject, 'a' accept
	key  byte
}

func TestCollector(t *testing.T) {
	cfg := CollectorConfig{
		Digits: 3, FirstDigit: 10 * time.Second, InterDigit: 5 * time.Second, Retries: 2,
		Prompt: "enter_extension", RetryPrompt: "invalid_extension",
	}
	p := func(at float64) input { return input{at: at, kind: 'p'} }
	d := func(at float64, k byte) input { return input{at: at, kind: 'd', key: k} }
	x := func(at float64) input { return input{at: at, kind: 'x'} }
	r := func(at float64) input { return input{at: at, kind: 'r'} }
	for _, c := range []struct {
		name    string
		in      []input
		want    Result
		digits  string
		plays   []string // prompts started, in order, after the first
		stops   int      // barge-ins
		retries int
	}{
		{name: "three digits", in: []input{p(3), d(4, '1'), d(5, '2'), d(6, '3')}, want: Collected, digits: "123"},
		{name: "# ends early", in: []input{p(3), d(4, '4'), d(5, '#')}, want: Collected, digits: "4"},
		{name: "barge-in", in: []input{d(1, '7'), p(1.1), d(2, '8'), d(3, '9')}, want: Collected, digits: "789", stops: 1},
		{name: "barge-in completes at once", in: []input{d(1, '7'), d(1, '8'), d(1, '9')}, want: Collected, digits: "789", stops: 1},
		{name: "no digit, retries run out", in: []input{p(3), x(13), p(16), x(26), p(29), x(39)},
			want: NoDigits, plays: []string{"invalid_extension", "invalid_extension"}},
		{name: "timer not yet due is ignored", in: []input{p(3), x(12.9), d(13, '1'), d(14, '2'), d(15, '3')}, want: Collected, digits: "123"},
		{name: "inter-digit timeout then success", in: []input{p(3), d(4, '1'), x(9), p(12), d(13, '5'), d(14, '5'), d(15, '5')},
			want: Collected, digits: "555", plays: []string{"invalid_extension"}},
		{name: "wrong extension three times", in: []input{p(1), d(2, '1'), d(2, '1'), d(2, '1'), r(2), p(3), d(4, '2'), d(4, '2'), d(4, '2'), r(4), p(5), d(6, '#')},
			want: WrongDigits, plays: []string{"invalid_extension", "invalid_extension"}},
		{name: "keys pressed once, then silence", in: []input{p(1), d(2, '1'), x(7), p(8), x(18), p(19), x(29)},
			want: WrongDigits, plays: []string{"invalid_extension", "invalid_extension"}},
		{name: "barge-in on the retry prompt", in: []input{p(1), x(11), d(12, '3'), d(12, '3'), d(12, '3')},
			want: Collected, digits: "333", plays: []string{"invalid_extension"}, stops: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t0 := time.Unix(1000, 0)
			at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
			col := NewCollector(cfg)
			if s := col.Start(t0); s.Play != "enter_extension" {
				t.Fatalf("start plays %q", s.Play)
			}
			var (
				last  Step
				plays []string
				stops int
			)
			for _, in := range c.in {
				var s Step
				switch in.kind {
				case 'p':
					s = col.PromptDone(at(in.at))
				case 'd':
					s = col.Digit(in.key, at(in.at))
				case 'x':
					s = col.Expire(at(in.at))
				case 'r':
					s = col.Reject(at(in.at))
				}
				if s.Play != "" {
					plays = append(plays, s.Play)
				}
				if s.StopPrompt {
					stops++
				}
				if s.Result != Pending {
					last = s
				}
			}
			if last.Result != c.want || last.Digits != c.digits {
				t.Fatalf("result %d %q, want %d %q", last.Result, last.Digits, c.want, c.digits)
			}
			if len(plays) != len(c.plays) || stops != c.stops {
				t.Fatalf("plays %v stops %d, want %v %d", plays, stops, c.plays, c.stops)
			}
			for i := range plays {
				if plays[i] != c.plays[i] {
					t.Fatalf("plays %v, want %v", plays, c.plays)
				}
			}
			if !col.Deadline().IsZero() {
				t.Fatalf("timer still armed at the end: %v", col.Deadline())
			}
		})
	}
}

// The deadlines the owner must arm: first-digit after the prompt, then
// inter-digit after each digit, none while a prompt plays.
func TestCollectorDeadlines(t *testing.T) {
	t0 := time.Unix(0, 0)
	col := NewCollector(CollectorConfig{Digits: 4, FirstDigit: 10 * time.Second, InterDigit: 5 * time.Second})
	col.Start(t0)
	if !col.Deadline().IsZero() {
		t.Fatal("timer while the prompt plays")
	}
	col.PromptDone(t0.Add(2 * time.Second))
	if got := col.Deadline(); !got.Equal(t0.Add(12 * time.Second)) {
		t.Fatalf("first-digit deadline %v", got)
	}
	col.Digit('1', t0.Add(3*time.Second))
	if got := col.Deadline(); !got.Equal(t0.Add(8 * time.Second)) {
		t.Fatalf("inter-digit deadline %v", got)
	}
	// A stale timer of the first-digit wait does nothing now.
	if s := col.Expire(t0.Add(7 * time.Second)); s != (Step{}) {
		t.Fatalf("early expiry acted: %+v", s)
	}
	col.Digit('2', t0.Add(4*time.Second))
	col.Digit('3', t0.Add(5*time.Second))
	s := col.Digit('4', t0.Add(6*time.Second))
	if s.Result != Collected || s.Digits != "1234" {
		t.Fatalf("%+v", s)
	}
	col.Accept()
	if s := col.Digit('5', t0.Add(7*time.Second)); s != (Step{}) {
		t.Fatal("digit after the end acted")
	}
}

// Digits from a leg drive the collector: the owner's loop as package sip
// would write it, with a Go RFC 4733 sender on the other end.
func TestCollectorFromLeg(t *testing.T) {
	e := newTestEngine(t)
	l := newTestLeg(t, e)
	l.SetPayload(payU)
	A := newParty(t, partyAIP)
	l.SetRemote(A.addr())
	col := NewCollector(CollectorConfig{Digits: 4, FirstDigit: time.Hour, InterDigit: time.Hour, Prompt: "enter_extension"})
	now := time.Now()
	col.Start(now)
	col.PromptDone(now)
	A.sendKeys(l, 101, "82#")
	var s Step
	for s.Result == Pending {
		select {
		case k := <-l.Digits():
			s = col.Digit(k, now)
		case <-time.After(recvWait):
			t.Fatal("no digit")
		}
	}
	if s.Result != Collected || s.Digits != "82" {
		t.Fatalf("%+v", s)
	}
}
