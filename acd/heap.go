package acd

// The three heaps below are written out for their element types: they sit on
// the hot path, keep each element's index for O(log n) removal, and must not
// allocate per operation.

// agentHeap holds the available members of one pool, best first under the
// pool's selection policy.
type agentHeap struct {
	sel   Selection
	items []*membership
}

func (h *agentHeap) less(i, j int) bool { return h.sel.better(h.items[i], h.items[j]) }

func (h *agentHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].pos = i
	h.items[j].pos = j
}

func (h *agentHeap) peek() *membership {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

func (h *agentHeap) push(m *membership) {
	m.pos = len(h.items)
	h.items = append(h.items, m)
	h.up(m.pos)
}

func (h *agentHeap) remove(m *membership) {
	i, n := m.pos, len(h.items)-1
	if i != n {
		h.swap(i, n)
	}
	h.items[n] = nil
	h.items = h.items[:n]
	m.pos = -1
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
}

func (h *agentHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *agentHeap) down(i0 int) bool {
	i, n := i0, len(h.items)
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// contactHeap holds the waiting contacts of one queue stage, first to be
// served first.
type contactHeap struct{ items []*contact }

func (h *contactHeap) less(i, j int) bool { return h.items[i].before(h.items[j]) }

func (h *contactHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].pos = i
	h.items[j].pos = j
}

func (h *contactHeap) peek() *contact {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

func (h *contactHeap) push(c *contact) {
	c.pos = len(h.items)
	h.items = append(h.items, c)
	h.up(c.pos)
}

func (h *contactHeap) remove(c *contact) {
	i, n := c.pos, len(h.items)-1
	if i != n {
		h.swap(i, n)
	}
	h.items[n] = nil
	h.items = h.items[:n]
	c.pos = -1
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
}

func (h *contactHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *contactHeap) down(i0 int) bool {
	i, n := i0, len(h.items)
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// timerHeap holds deadlines, earliest first. Cancelled timers stay in the
// heap and are skipped when they come due (their generation no longer
// matches), which keeps cancellation O(1).
type timerHeap struct{ items []timer }

func (h *timerHeap) less(i, j int) bool { return h.items[i].before(&h.items[j]) }

func (h *timerHeap) push(t timer) {
	h.items = append(h.items, t)
	j := len(h.items) - 1
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.items[i], h.items[j] = h.items[j], h.items[i]
		j = i
	}
}

func (h *timerHeap) pop() timer {
	n := len(h.items) - 1
	h.items[0], h.items[n] = h.items[n], h.items[0]
	t := h.items[n]
	h.items[n] = timer{}
	h.items = h.items[:n]
	i := 0
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.items[i], h.items[j] = h.items[j], h.items[i]
		i = j
	}
	return t
}
