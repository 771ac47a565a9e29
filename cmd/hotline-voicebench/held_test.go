package main

import (
	"net/netip"
	"testing"
	"time"
)

func TestSendJitter(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	cases := []struct {
		name      string
		prev, cur rtpStream
		want      time.Duration
		ok        bool
	}{
		{"on time", rtpStream{at: at(0), seq: 1, ts: 160}, rtpStream{at: at(20), seq: 2, ts: 320}, 0, true},
		{"3 ms late", rtpStream{at: at(0), seq: 1, ts: 160}, rtpStream{at: at(23), seq: 2, ts: 320}, 3 * time.Millisecond, true},
		{"caught up after a late one", rtpStream{at: at(40), seq: 2, ts: 320}, rtpStream{at: at(40.5), seq: 3, ts: 480}, 19500 * time.Microsecond, true},
		{"talk spurt after 1 s of silence", rtpStream{at: at(0), seq: 1, ts: 160}, rtpStream{at: at(1000), seq: 2, ts: 160 + 8000}, 0, true},
		{"timestamps wrap", rtpStream{at: at(0), seq: 65535, ts: 0xffffff60}, rtpStream{at: at(21), seq: 0, ts: 0}, time.Millisecond, true},
		{"a packet lost", rtpStream{at: at(0), seq: 1, ts: 160}, rtpStream{at: at(40), seq: 3, ts: 480}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := sendJitter(c.prev, c.cur)
			if got != c.want || ok != c.ok {
				t.Errorf("got %v %v, want %v %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestSDPMedia(t *testing.T) {
	answer := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
	if got, want := sdpMedia([]byte(answer)), netip.MustParseAddrPort("127.0.0.1:40002"); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"", "v=0\r\nm=audio 40002 RTP/AVP 0\r\n", "c=IN IP4 127.0.0.1\r\nm=audio\r\n"} {
		if got := sdpMedia([]byte(bad)); got.IsValid() {
			t.Errorf("%q: got %v, want none", bad, got)
		}
	}
}

// TestCreationRate reads SIPp's statistics rows (testdata/stat.csv, from
// a -rate 400 -calls 2000 run on a loaded machine: SIPp started the calls
// in about 6.5 s, while its CallRate(C), over the whole 65 s run, says 31).
func TestCreationRate(t *testing.T) {
	rate, took, err := creationRate("testdata/stat.csv")
	if err != nil {
		t.Fatal(err)
	}
	// The row that reaches 2 000 (1 996 before it) comes at the rate of
	// the row before: (1996-1698)/(10.437364-9.270146) calls/s.
	before := (1996.0 - 1698) / (1795976770.437364 - 1795976769.270146)
	want := 1795976770.437364 + 4/before - 1795976763.946656
	if d := took.Seconds() - want; d > 1e-3 || d < -1e-3 {
		t.Errorf("took %v, want %.3fs", took, want)
	}
	if d := rate - 2000/want; d > 0.5 || d < -0.5 {
		t.Errorf("rate %.1f, want %.1f", rate, 2000/want)
	}
}
