package bridge

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/hotline10000/hotline/acd"
)

// snapEncoder writes an acd.Snapshot as json.Marshal does, byte for byte,
// but keeps each agent's encoding from the last save and encodes again only
// the agents that changed. At 10 000 agents a save happens up to twice a
// second under traffic (saveSoon) while only the few hundred agents that
// took or ended a contact changed: encoding all of them every time was the
// largest share of the server's CPU in the 10 000-agent profile.
// Written here because it is a cache over this package's own format, not a
// general encoder. One goroutine (the Saver's) uses it.
//
// The snapshots it is given are not changed afterwards (acd.Router.Snapshot
// builds new ones each time): it keeps them to compare with the next.
type snapEncoder struct {
	agents map[string]*encodedAgent
	gen    uint64
	buf    bytes.Buffer
}

type encodedAgent struct {
	snap acd.AgentSnapshot
	json []byte
	gen  uint64 // the last encode that saw the agent
}

// sameAgent reports whether a and b encode the same. Times compare with ==
// (stricter than Equal), so a false "different" only costs an encoding.
func sameAgent(a, b acd.AgentSnapshot) bool {
	if len(a.Skills) != len(b.Skills) || len(a.WrapUps) != len(b.WrapUps) {
		return false
	}
	for k, v := range a.Skills {
		if w, ok := b.Skills[k]; !ok || w != v {
			return false
		}
	}
	for i := range a.WrapUps {
		if a.WrapUps[i] != b.WrapUps[i] {
			return false
		}
	}
	if (a.Skills == nil) != (b.Skills == nil) || (a.WrapUps == nil) != (b.WrapUps == nil) {
		return false
	}
	// Every other field (TestSameAgentKnowsEveryField fails when one is
	// added and not compared here).
	return a.ID == b.ID && a.Ord == b.Ord && a.Capacity == b.Capacity && a.Ready == b.Ready &&
		a.Reason == b.Reason && a.LoggingOut == b.LoggingOut && a.LogoutBy == b.LogoutBy &&
		a.State == b.State && a.StateWhy == b.StateWhy && a.StateSince == b.StateSince &&
		a.IdleSince == b.IdleSince && a.LastOffer == b.LastOffer && a.Handled == b.Handled &&
		a.WorkTime == b.WorkTime && a.HoldTime == b.HoldTime
}

// encode returns the JSON of s; the slice is valid until the next call.
func (e *snapEncoder) encode(s acd.Snapshot) ([]byte, error) {
	at, err := json.Marshal(s.At)
	if err != nil {
		return nil, err
	}
	b := &e.buf
	b.Reset()
	b.WriteString(`{"version":`)
	b.WriteString(strconv.Itoa(s.Version))
	b.WriteString(`,"at":`)
	b.Write(at)
	b.WriteString(`,"seq":`)
	b.WriteString(strconv.FormatUint(s.Seq, 10))
	b.WriteString(`,"ord":`)
	b.WriteString(strconv.FormatUint(s.Ord, 10))
	b.WriteString(`,"agents":`)
	if e.agents == nil {
		e.agents = make(map[string]*encodedAgent, len(s.Agents))
	}
	e.gen++
	if s.Agents == nil {
		b.WriteString("null")
	} else {
		b.WriteByte('[')
		for i, a := range s.Agents {
			if i > 0 {
				b.WriteByte(',')
			}
			ea := e.agents[a.ID]
			if ea == nil {
				ea = &encodedAgent{}
				e.agents[a.ID] = ea
			}
			if ea.json == nil || !sameAgent(ea.snap, a) {
				j, err := json.Marshal(a)
				if err != nil {
					delete(e.agents, a.ID)
					return nil, err
				}
				ea.snap, ea.json = a, j
			}
			ea.gen = e.gen
			b.Write(ea.json)
		}
		b.WriteByte(']')
	}
	if len(e.agents) > len(s.Agents) {
		for id, ea := range e.agents {
			if ea.gen != e.gen {
				delete(e.agents, id) // logged out
			}
		}
	}
	cs, err := json.Marshal(s.Contacts)
	if err != nil {
		return nil, err
	}
	b.WriteString(`,"contacts":`)
	b.Write(cs)
	b.WriteByte('}')
	return b.Bytes(), nil
}
