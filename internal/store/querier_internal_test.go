package store

import (
	"context"
	"testing"
)

// Statements over a whole table (marked interruptible) keep a context
// that can end; short ones run under one that cannot.
func TestBoundedContext(t *testing.T) {
	c, cancel := context.WithCancel(context.Background())
	defer cancel()
	short, err := bounded(c)
	if err != nil || short.Done() != nil {
		t.Errorf("short statement: Done %v, err %v; want a context that cannot end", short.Done(), err)
	}
	long, err := bounded(interruptible(c))
	if err != nil || long.Done() == nil {
		t.Errorf("interruptible statement: Done %v, err %v; want the caller's context", long.Done(), err)
	}
	cancel()
	if _, err := bounded(c); err != context.Canceled {
		t.Errorf("ended context: got %v, want context.Canceled", err)
	}
}
