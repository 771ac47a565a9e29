package agentdesk

import (
	"testing"
	"time"
)

// TestPingsSpreadOverTheHeartbeat: sockets that connected within one
// second are pinged at their own phase, a few per slot, not all at one
// sweep. The sweep pinged every socket due once a second: at 10 000 desks
// about a thousand writer goroutines started at the same instant each
// second, and an offer decided then waited behind them.
func TestPingsSpreadOverTheHeartbeat(t *testing.T) {
	const heartbeat = 10 * time.Second
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	w := newPingWheel(heartbeat, start)
	open := map[*conn]bool{}
	var conns []*conn
	// 1 000 sockets connect over one second.
	for i := range 1000 {
		c := &conn{}
		conns = append(conns, c)
		open[c] = true
		w.add(c, start.Add(time.Duration(i)*time.Millisecond))
	}
	pinged := map[*conn]int{}
	biggest, now := 0, start
	// The hub's ticks, one per slot, for three heartbeats.
	for now.Before(start.Add(3*heartbeat + time.Second)) {
		now = now.Add(w.slot)
		got := w.take(now, open, nil)
		biggest = max(biggest, len(got))
		for _, c := range got {
			pinged[c]++
		}
	}
	// 1 000 sockets over 1 s in slots of 20 ms: 20 a slot.
	if want := 1000 * int(w.slot) / int(time.Second); biggest > 2*want {
		t.Fatalf("up to %d pings in one slot, want about %d (spread)", biggest, want)
	}
	for i, c := range conns {
		if pinged[c] != 3 {
			t.Fatalf("socket %d pinged %d times in three heartbeats, want 3", i, pinged[c])
		}
	}
	// A closed socket is dropped, and a long jump of the clock (a test's
	// virtual clock) pings each open socket once.
	delete(open, conns[0])
	got := w.take(now.Add(time.Hour), open, nil)
	if len(got) != len(conns)-1 {
		t.Fatalf("after an hour's jump %d pings, want %d", len(got), len(conns)-1)
	}
	for _, c := range got {
		if c == conns[0] {
			t.Fatal("a closed socket was pinged")
		}
	}
	if n := len(w.take(now.Add(time.Hour), open, nil)); n != 0 {
		t.Fatalf("%d pings again at the same time, want none", n)
	}
	// After the jump each socket keeps its phase: the next heartbeat's
	// pings are spread as before, not all in the first slot.
	now = now.Add(time.Hour)
	biggest, total := 0, 0
	for end := now.Add(heartbeat); now.Before(end); {
		now = now.Add(w.slot)
		got := w.take(now, open, nil)
		biggest, total = max(biggest, len(got)), total+len(got)
	}
	if want := 1000 * int(w.slot) / int(time.Second); biggest > 2*want || total != len(conns)-1 {
		t.Fatalf("after the jump: %d pings in a heartbeat, up to %d in one slot, want %d spread (about %d a slot)", total, biggest, len(conns)-1, want)
	}
}
