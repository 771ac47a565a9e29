package acd

// timerKind orders timers that fall on the same instant: work finishes
// before offers expire, offers expire before waits relax. The order is part
// of the Router's determinism (a restored Router fires ties the same way).
type timerKind uint8

const (
	timerWrapUp timerKind = iota
	timerOffer
	timerStep
	timerMaxWait
)

// timer is one deadline. gen must still match the armed generation on the
// contact or wrap-up when it fires; otherwise it was cancelled.
type timer struct {
	at   int64
	kind timerKind
	id   string // contact id: a deterministic tie-break
	gen  uint64
	step int
	c    *contact
	a    *agent
}

func (t *timer) before(u *timer) bool {
	if t.at != u.at {
		return t.at < u.at
	}
	if t.kind != u.kind {
		return t.kind < u.kind
	}
	if t.id != u.id {
		return t.id < u.id
	}
	return t.gen < u.gen
}
