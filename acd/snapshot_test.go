package acd

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestSnapshotRoundTrip runs random operations, snapshots the Router through
// JSON, restores it, and then applies the same further operations to both:
// every event of every step must be identical.
func TestSnapshotRoundTrip(t *testing.T) {
	for seed := range 60 {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 11))
			data := make([]byte, 900)
			for i := range data {
				data[i] = byte(rng.UintN(256))
			}
			cut := 300 + rng.IntN(300)
			a := newDriver(t, data[:cut])
			for !a.s.done() {
				a.op()
			}
			raw, err := json.Marshal(a.r.Snapshot())
			if err != nil {
				t.Fatal(err)
			}
			var snap Snapshot
			if err := json.Unmarshal(raw, &snap); err != nil {
				t.Fatal(err)
			}
			rb, err := Restore(propertyConfig(), propertyQueues(), snap)
			if err != nil {
				t.Fatalf("restore: %v", err)
			}
			if ev := rb.Drain(); len(ev) != 0 {
				t.Fatalf("restore decided something: %v", ev[0].Kind)
			}
			if err := checkInvariants(rb); err != nil {
				t.Fatalf("restored: %v", err)
			}
			again, _ := json.Marshal(rb.Snapshot())
			if string(again) != string(raw) {
				t.Fatalf("snapshot of the restored router differs:\n%s\n%s", raw, again)
			}
			b := &driver{t: t, r: rb, led: a.led, now: a.now, contacts: append([]string(nil), a.contacts...), nextContact: a.nextContact}
			b.led = cloneLedger(a.led)
			rest := data[cut:]
			a.s, b.s = &opStream{b: rest}, &opStream{b: rest}
			for !a.s.done() {
				a.op()
				b.op()
				if len(a.last)+len(b.last) > 0 && !reflect.DeepEqual(a.last, b.last) {
					t.Fatalf("step %d: restored router diverged:\n got %v\nwant %v", a.steps, b.last, a.last)
				}
			}
			a.windDown()
			b.windDown()
		})
	}
}

func cloneLedger(l *outcomeLedger) *outcomeLedger {
	c := newLedger()
	c.seq = l.seq
	for k, v := range l.requests {
		c.requests[k] = v
	}
	for k, v := range l.outcomes {
		c.outcomes[k] = v
	}
	for k, v := range l.ended {
		c.ended[k] = v
	}
	for k, v := range l.offers {
		c.offers[k] = v
	}
	return c
}

func TestRestoreRejectsBadSnapshots(t *testing.T) {
	good := func() Snapshot {
		return Snapshot{Version: SnapshotVersion, At: epoch,
			Agents:   []AgentSnapshot{{ID: "A", Skills: map[string]int{"x": 5}, Capacity: Capacity{Voice: 1}, State: NotReady, Reason: "login"}},
			Contacts: []ContactSnapshot{{ID: "c1", Channel: Voice, Queue: "Q1", State: "queued", WaitFrom: epoch, EnteredQueue: epoch}}}
	}
	tests := []struct {
		name string
		edit func(*Snapshot)
	}{
		{"version", func(s *Snapshot) { s.Version = 99 }},
		{"unknown queue", func(s *Snapshot) { s.Contacts[0].Queue = "NOPE" }},
		{"unknown skill", func(s *Snapshot) { s.Agents[0].Skills["nope"] = 3 }},
		{"unknown agent", func(s *Snapshot) { s.Contacts[0].State, s.Contacts[0].Agent = "offered", "B" }},
		{"bad state", func(s *Snapshot) { s.Contacts[0].State = "flying" }},
		{"duplicate contact", func(s *Snapshot) { s.Contacts = append(s.Contacts, s.Contacts[0]) }},
		{"channel mismatch", func(s *Snapshot) { s.Contacts[0].Channel = Chat }},
		{"over capacity", func(s *Snapshot) {
			s.Agents[0].State = Busy
			s.Contacts[0].State, s.Contacts[0].Agent = "connected", "A"
			s.Contacts = append(s.Contacts, ContactSnapshot{ID: "c2", Channel: Voice, Queue: "Q1", State: "connected", Agent: "A"})
		}},
		{"shown state wrong", func(s *Snapshot) { s.Agents[0].State = Busy }},
	}
	if _, err := Restore(propertyConfig(), propertyQueues(), good()); err != nil {
		t.Fatalf("good snapshot: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good()
			tt.edit(&s)
			if _, err := Restore(propertyConfig(), propertyQueues(), s); !errors.Is(err, ErrSnapshot) {
				t.Fatalf("got %v, want ErrSnapshot", err)
			}
		})
	}
}
