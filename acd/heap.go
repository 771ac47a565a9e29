package acd

// indexedHeap is a binary min-heap that keeps each element's index in the
// element itself, so an element anywhere in the heap is removed in O(log n)
// without a search. It holds the ready agents of a pool and the waiting
// contacts of a queue stage.
type indexedHeap[T positioned] struct {
	items []T
	less  func(a, b T) bool
}

// positioned elements store their heap index; -1 when not in a heap.
type positioned interface {
	setPos(i int)
	heapPos() int
}

func (m *membership) setPos(i int) { m.pos = i }
func (m *membership) heapPos() int { return m.pos }
func (c *contact) setPos(i int)    { c.pos = i }
func (c *contact) heapPos() int    { return c.pos }

func (h *indexedHeap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].setPos(i)
	h.items[j].setPos(j)
}

// peek returns the first element, or the zero value (nil) when empty.
func (h *indexedHeap[T]) peek() T {
	if len(h.items) == 0 {
		var zero T
		return zero
	}
	return h.items[0]
}

func (h *indexedHeap[T]) push(x T) {
	x.setPos(len(h.items))
	h.items = append(h.items, x)
	h.up(len(h.items) - 1)
}

func (h *indexedHeap[T]) remove(x T) {
	i, n := x.heapPos(), len(h.items)-1
	if i != n {
		h.swap(i, n)
	}
	var zero T
	h.items[n] = zero
	h.items = h.items[:n]
	x.setPos(-1)
	if i != n && !h.down(i) {
		h.up(i)
	}
}

func (h *indexedHeap[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *indexedHeap[T]) down(i0 int) bool {
	i, n := i0, len(h.items)
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h.less(h.items[r], h.items[j]) {
			j = r
		}
		if !h.less(h.items[j], h.items[i]) {
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
