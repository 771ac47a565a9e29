package agentdesk

// HoldHub keeps the hub goroutine busy until release is called (a test's
// stand-in for a hub busy with offers); it returns once the hub is held.
func HoldHub(g *Gateway) (release func()) {
	held, done := make(chan struct{}), make(chan struct{})
	go func() { _ = g.do(func(*hub) { close(held); <-done }) }()
	<-held
	return func() { close(done) }
}
