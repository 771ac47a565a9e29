package sip

import (
	"regexp"
	"testing"
	"time"
)

// Contact ids sort in the order the calls came, so the store's indexes on
// them grow at one end (a random id cost the WAL a page per call).
func TestContactIDsInTimeOrder(t *testing.T) {
	form := regexp.MustCompile(`^call-[0-9a-f]{20}$`)
	t0 := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	var ids []string
	seen := map[string]bool{}
	for i := range 2000 {
		// Several calls in the same millisecond, as at 2 000 calls/s.
		id := newContactID(t0.Add(time.Duration(i/4) * time.Millisecond))
		if !form.MatchString(id) {
			t.Fatalf("id %q: want call- and 20 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q twice", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	for i := 4; i < len(ids); i += 4 {
		if ids[i] <= ids[i-1] {
			t.Fatalf("id %d %q sorts before the previous millisecond's %q", i, ids[i], ids[i-1])
		}
	}
	if got := newContactID(t0)[5:17]; got != "01a227d1f180" {
		t.Errorf("time part %s, want the milliseconds since the epoch 01a227d1f180", got)
	}
}
