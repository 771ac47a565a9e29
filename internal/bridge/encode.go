package bridge

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hotline10000/hotline/acd"
)

// snapEncoder turns an acd.Snapshot into what the store keeps: a head
// (the snapshot without its agents) and one part per agent, and between two
// saves it encodes and hands over only the agents that changed, and names
// those that are gone. At 10 000 agents a save happens up to twice a
// second under traffic (saveSoon) while only the few hundred agents that
// took or ended a contact changed: encoding all of them every time was the
// largest share of the server's CPU in the 10 000-agent profile, and
// writing the whole 2.5 MB document each time the next largest (and 15 % of
// the node's allocations). Written here because it is a cache over this
// package's own format, not a general encoder. One goroutine (the Saver's)
// uses it.
//
// The snapshots it is given are not changed afterwards (acd.Router.Snapshot
// builds new ones each time): it keeps them to compare with the next.
type snapEncoder struct {
	agents map[string]*encodedAgent
	gen    uint64
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
	if (a.WrapUp == nil) != (b.WrapUp == nil) || (a.WrapUp != nil && *a.WrapUp != *b.WrapUp) {
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

// snapDelta is one save: the head, the agents encoded anew (by id; the
// slices are the caller's to keep) and the ids of the agents gone since the
// last delta.
type snapDelta struct {
	head []byte
	put  map[string][]byte
	gone []string
}

// delta encodes s against the last call. After a reset (or on the first
// call) every agent is in put.
func (e *snapEncoder) delta(s acd.Snapshot) (snapDelta, error) {
	h := s
	h.Agents = nil
	head, err := json.Marshal(h)
	if err != nil {
		return snapDelta{}, err
	}
	d := snapDelta{head: head, put: map[string][]byte{}}
	if e.agents == nil {
		e.agents = make(map[string]*encodedAgent, len(s.Agents))
	}
	e.gen++
	for _, a := range s.Agents {
		ea := e.agents[a.ID]
		if ea == nil {
			ea = &encodedAgent{}
			e.agents[a.ID] = ea
		}
		if ea.json == nil || !sameAgent(ea.snap, a) {
			j, err := json.Marshal(a)
			if err != nil {
				e.reset()
				return snapDelta{}, err
			}
			ea.snap, ea.json = a, j
			d.put[a.ID] = j
		}
		ea.gen = e.gen
	}
	if len(e.agents) > len(s.Agents) {
		for id, ea := range e.agents {
			if ea.gen != e.gen {
				delete(e.agents, id) // logged out
				d.gone = append(d.gone, id)
			}
		}
	}
	return d, nil
}

// reset forgets every agent: the next delta holds them all (after a save
// that failed, the store may hold none of the last delta).
func (e *snapEncoder) reset() { e.agents = nil }

// assemble rebuilds a snapshot from its head and its agents' parts, in the
// router's order (acd.AgentSnapshot.Ord). A head saved whole has its agents
// in it (a list, never null: acd.Router.Snapshot) and keeps them, whatever
// parts there are: a node of an earlier version, which knows nothing of
// parts, may have saved it after a newer one left parts behind.
func assemble(head []byte, parts map[string][]byte) (acd.Snapshot, error) {
	var s acd.Snapshot
	if err := json.Unmarshal(head, &s); err != nil {
		return s, err
	}
	if s.Agents != nil || len(parts) == 0 {
		return s, nil
	}
	s.Agents = make([]acd.AgentSnapshot, 0, len(parts))
	for id, p := range parts {
		var a acd.AgentSnapshot
		if err := json.Unmarshal(p, &a); err != nil {
			return s, fmt.Errorf("agent %s: %w", id, err)
		}
		if a.ID != id {
			return s, fmt.Errorf("agent part %s holds agent %q", id, a.ID)
		}
		s.Agents = append(s.Agents, a)
	}
	slices.SortFunc(s.Agents, func(a, b acd.AgentSnapshot) int { return cmp.Compare(a.Ord, b.Ord) })
	return s, nil
}
