package acd

// queue is a configured Queue with its routing indexes.
type queue struct {
	cfg Queue
	// stages[s] is what an agent needs at stage s; stage 0 is the queue's
	// own skills, each later stage relaxes the one before (validation
	// guarantees that), so an agent eligible at s is eligible at s+1.
	stages []stageRule
	// pools[s] holds the logged-in agents whose first eligible stage is s;
	// waiting[s] the contacts waiting at stage s.
	pools   []*pool
	waiting []indexedHeap[*contact]
	// overflowStep is the index of the overflow step, or -1.
	overflowStep int
	// staffed counts logged-in eligible agents (at any stage).
	staffed   int
	callbacks int
	// willing counts logged-in eligible agents who wish to work;
	// pace times recent services. Both feed the expected wait.
	willing int
	pace    pace
}

type stageRule struct {
	base []Requirement // all required
	alts []Requirement // any one suffices
}

func newQueue(cfg Queue) *queue {
	q := &queue{cfg: cfg, overflowStep: -1}
	rule := stageRule{base: append([]Requirement(nil), cfg.Skills...)}
	q.stages = append(q.stages, rule)
	for i, st := range cfg.Steps {
		if st.OverflowTo != "" {
			q.overflowStep = i
			continue
		}
		next := stageRule{base: append([]Requirement(nil), rule.base...), alts: append([]Requirement(nil), rule.alts...)}
		if st.MinProficiency != 0 {
			for j := range next.base {
				next.base[j].Min = min(next.base[j].Min, st.MinProficiency)
			}
		}
		next.alts = append(next.alts, st.AddSkills...)
		q.stages = append(q.stages, next)
		rule = next
	}
	q.pools = make([]*pool, len(q.stages))
	for s := range q.pools {
		q.pools[s] = &pool{q: q, stage: s, ready: indexedHeap[*membership]{less: cfg.Selection.better}}
	}
	q.waiting = make([]indexedHeap[*contact], len(q.stages))
	for s := range q.waiting {
		q.waiting[s].less = (*contact).before
	}
	return q
}

// canOverflow says whether contacts can leave this queue for another one
// without an agent, so joining it while nobody is logged in still makes sense.
func (q *queue) canOverflow() bool {
	return q.overflowStep >= 0 || (q.cfg.MaxWait > 0 && q.cfg.OnMaxWait == Overflow)
}

// skills lists every skill the queue mentions at any stage.
func (q *queue) skills() []string {
	var out []string
	for _, r := range q.cfg.Skills {
		out = append(out, r.Skill)
	}
	for _, st := range q.cfg.Steps {
		for _, r := range st.AddSkills {
			out = append(out, r.Skill)
		}
	}
	return out
}

// eligibility returns the first stage at which skills qualify, and the
// proficiency score used by BestProficiency (at the most relaxed stage), or
// ok=false.
func (q *queue) eligibility(skills map[string]int) (stage, score int, ok bool) {
	stage = -1
	for s, rule := range q.stages {
		sc, fits := rule.score(skills)
		if fits && stage < 0 {
			stage = s
		}
		if fits {
			score = sc
		}
	}
	return stage, score, stage >= 0
}

func (r stageRule) score(skills map[string]int) (int, bool) {
	best, fits := 0, true
	low := MaxProficiency + 1
	for _, req := range r.base {
		p := skills[req.Skill]
		if p < req.Min {
			fits = false
			break
		}
		low = min(low, p)
	}
	if fits {
		best = low
	}
	for _, req := range r.alts {
		if p := skills[req.Skill]; p >= req.Min && p > best {
			best, fits = p, true
		}
	}
	return best, fits
}

// waitingCount is the number of contacts waiting in the queue.
func (q *queue) waitingCount() int {
	n := 0
	for i := range q.waiting {
		n += len(q.waiting[i].items)
	}
	return n
}

// pool is the set of agents first eligible at one stage of one queue.
type pool struct {
	q     *queue
	stage int
	ready indexedHeap[*membership]
}

// membership links an agent to the one pool it belongs to in a queue.
type membership struct {
	a     *agent
	p     *pool
	score int
	pos   int // index in p.ready, -1 when not listed
}

// better reports whether m should be chosen before o under policy s. Keys
// only change while an agent is unlisted, so heaps stay valid.
func (s Selection) better(m, o *membership) bool {
	a, b := m.a, o.a
	switch s {
	case BestProficiency:
		if m.score != o.score {
			return m.score > o.score
		}
	case FewestContacts:
		if a.handled != b.handled {
			return a.handled < b.handled
		}
	case RoundRobin:
		if a.lastOffer != b.lastOffer {
			return a.lastOffer < b.lastOffer
		}
	case LeastOccupied:
		if a.workTime != b.workTime {
			return a.workTime < b.workTime
		}
	}
	if a.idleSince != b.idleSince {
		return a.idleSince < b.idleSince
	}
	return a.ord < b.ord
}

func (q *queue) add(c *contact) {
	q.waiting[c.stage].push(c)
	if c.callback {
		q.callbacks++
	}
}

func (q *queue) del(c *contact) {
	q.waiting[c.stage].remove(c)
	if c.callback {
		q.callbacks--
	}
}
