package bridge

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
)

func encodeSnapAgents(n int) acd.Snapshot {
	at := time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC)
	s := acd.Snapshot{Version: acd.SnapshotVersion, At: at, Seq: 7, Ord: 9}
	for i := range n {
		s.Agents = append(s.Agents, acd.AgentSnapshot{ID: "a" + strconv.Itoa(i), Ord: uint64(i),
			Skills: map[string]int{"s" + strconv.Itoa(i%200): 5, "s" + strconv.Itoa((i+1)%200): 7, "<&>": 1}, Capacity: acd.Capacity{Voice: 1, Chat: 3},
			Ready: true, State: acd.Ready, StateSince: at, IdleSince: at, Handled: i})
	}
	s.Contacts = []acd.ContactSnapshot{{ID: "c1", Ord: 3, Channel: acd.Chat, Queue: "q", State: "queued", EnteredQueue: at}}
	return s
}

// A save writes the head and the agents that changed since the last one
// and names those gone; the head plus the parts kept so far give back the
// snapshot json.Marshal would have written, through every kind of change
// between two saves.
func TestSnapEncoderDelta(t *testing.T) {
	var e snapEncoder
	parts := map[string][]byte{}
	check := func(step string, s acd.Snapshot, wantPut, wantGone []string) {
		t.Helper()
		d, err := e.delta(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(maps.Keys(d.put)); !slices.Equal(got, wantPut) {
			t.Fatalf("%s: agents written %v, want %v", step, got, wantPut)
		}
		if slices.Sort(d.gone); !slices.Equal(d.gone, wantGone) {
			t.Fatalf("%s: agents gone %v, want %v", step, d.gone, wantGone)
		}
		maps.Copy(parts, d.put)
		for _, id := range d.gone {
			delete(parts, id)
		}
		back, err := assemble(d.head, parts)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(back)
		want, _ := json.Marshal(s)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: assembled\n got %s\nwant %s", step, got, want)
		}
	}
	check("empty", acd.Snapshot{Version: acd.SnapshotVersion}, nil, nil)
	s := encodeSnapAgents(5)
	check("first", s, []string{"a0", "a1", "a2", "a3", "a4"}, nil)
	check("unchanged", s, nil, nil)
	s.Seq++
	s.Agents[1].State, s.Agents[1].Handled = acd.Busy, 99
	s.Agents[1].StateSince = s.Agents[1].StateSince.Add(time.Second)
	check("state", s, []string{"a1"}, nil)
	s.Agents = slices.Clone(s.Agents) // a new snapshot, as the router makes
	s.Agents[2].Skills = map[string]int{"s2": 9}
	check("skills", s, []string{"a2"}, nil)
	s.Agents[3].WrapUps = []acd.WrapUpState{{Contact: "c9", Channel: acd.Chat, Start: s.At, End: s.At.Add(time.Minute)}}
	check("wrap-up", s, []string{"a3"}, nil)
	s.Agents[3].WrapUps = []acd.WrapUpState{{Contact: "c9", Channel: acd.Chat, Start: s.At, End: s.At.Add(2 * time.Minute)}}
	check("wrap-up end", s, []string{"a3"}, nil)
	s.Agents = slices.Delete(slices.Clone(s.Agents), 0, 2)
	check("logged out", s, nil, []string{"a0", "a1"})
	e.reset()
	check("after a reset", s, []string{"a2", "a3", "a4"}, nil)
	// A head saved whole (before agents were saved apart, or by an older
	// node after a newer one) keeps its agents, whatever parts are left.
	whole, _ := json.Marshal(s)
	for _, ps := range []map[string][]byte{nil, parts} {
		back, err := assemble(whole, ps)
		if got, _ := json.Marshal(back); err != nil || !bytes.Equal(got, whole) {
			t.Fatalf("whole head with %d parts: got %s, %v", len(ps), got, err)
		}
	}
	s.Agents = []acd.AgentSnapshot{}
	whole, _ = json.Marshal(s)
	if back, err := assemble(whole, parts); err != nil || len(back.Agents) != 0 {
		t.Fatalf("whole head with no agents and %d stale parts: got %d agents, %v", len(parts), len(back.Agents), err)
	}
}

// sameAgent compares every field of acd.AgentSnapshot: a field added there
// must be added to it (else a change of only that field would be saved
// stale). It changes each field in turn and expects "different".
func TestSameAgentKnowsEveryField(t *testing.T) {
	base := encodeSnapAgents(1).Agents[0]
	v := reflect.ValueOf(&base).Elem()
	for i := range v.NumField() {
		c := base
		c.Skills = maps.Clone(base.Skills)
		f := reflect.ValueOf(&c).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Uint64, reflect.Uint8:
			f.SetUint(f.Uint() + 1)
		case reflect.Int, reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Map:
			c.Skills["new"] = 1
		case reflect.Slice:
			c.WrapUps = []acd.WrapUpState{{Contact: "c"}}
		case reflect.Array:
			c.LogoutBy[0] += "x"
		case reflect.Pointer:
			d := time.Minute
			c.WrapUp = &d // base has none
		case reflect.Struct:
			switch x := f.Addr().Interface().(type) {
			case *time.Time:
				*x = x.Add(time.Second)
			case *acd.Capacity:
				x.Chat++
			default:
				t.Fatalf("field %s: teach this test and sameAgent about %T", v.Type().Field(i).Name, x)
			}
		default:
			t.Fatalf("field %s: teach this test and sameAgent about %s", v.Type().Field(i).Name, f.Kind())
		}
		if sameAgent(base, c) {
			t.Errorf("a change of %s is not seen", v.Type().Field(i).Name)
		}
	}
	if !sameAgent(base, base) {
		t.Error("an agent differs from itself")
	}
}

// BenchmarkSaveEncode is a save at 10 000 agents of whom 2% changed since
// the last one: json.Marshal of the whole snapshot against the encoder.
func BenchmarkSaveEncode(b *testing.B) {
	s := encodeSnapAgents(10000)
	change := func(i int) {
		for j := i % 50; j < len(s.Agents); j += 50 {
			s.Agents[j].Handled++
		}
	}
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			change(i)
			i++
			if _, err := json.Marshal(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("delta", func(b *testing.B) {
		b.ReportAllocs()
		var e snapEncoder
		i := 0
		for b.Loop() {
			change(i)
			i++
			if _, err := e.delta(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
