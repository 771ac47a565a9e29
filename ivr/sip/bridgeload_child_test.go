//go:build linux

package sip

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The simulated phones' RTP runs in a child process (this test binary
// re-executed with bridgedChildEnv set), so that the figures of
// TestBridgedCallsLoad are the server's: its process CPU no longer
// includes the phones' sends and receives, and the phones' scheduling
// does not compete with the server's goroutines inside one runtime. The
// two talk over a pipe pair (the child's fds 3 and 4), one command a
// line; see bridgedRTPChild.
const bridgedChildEnv = "HOTLINE_BRIDGED_RTP_CHILD"

// rtpProc is the parent's handle on the child's rtpHarness.
type rtpProc struct {
	cmd     *exec.Cmd
	mu      sync.Mutex // one command (and its answer) at a time
	w       io.WriteCloser
	r       *bufio.Reader
	callers []netip.AddrPort
	agents  []netip.AddrPort
	err     error // first write error, reported by the next synchronous command
}

// childResult is what the child answers to "result".
type childResult struct {
	ToCallers, ToAgents rtpResult
	CPU                 time.Duration // the child's own CPU time while measuring
}

func startRTPChild(k int) (*rtpProc, error) {
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	ansR, ansW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		return nil, err
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBridgedRTPChild$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), bridgedChildEnv+"="+strconv.Itoa(k))
	cmd.ExtraFiles = []*os.File{cmdR, ansW}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		cmdR.Close()
		cmdW.Close()
		ansR.Close()
		ansW.Close()
		return nil, err
	}
	cmdR.Close()
	ansW.Close()
	p := &rtpProc{cmd: cmd, w: cmdW, r: bufio.NewReader(ansR)}
	var hello struct{ Callers, Agents []netip.AddrPort }
	if err := p.answer(&hello); err != nil {
		p.close()
		return nil, fmt.Errorf("rtp child: %w", err)
	}
	p.callers, p.agents = hello.Callers, hello.Agents
	return p, nil
}

// answer reads the child's next answer line: JSON, or "error: ...".
func (p *rtpProc) answer(v any) error {
	line, err := p.r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("rtp child answer: %w", err)
	}
	if msg, ok := strings.CutPrefix(line, "error: "); ok {
		return errors.New(strings.TrimSpace(msg))
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal([]byte(line), v)
}

func (p *rtpProc) send(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.w, line+"\n"); err != nil && p.err == nil {
		p.err = err
	}
}

func (p *rtpProc) call(line string, v any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if _, err := io.WriteString(p.w, line+"\n"); err != nil {
		return err
	}
	return p.answer(v)
}

func (p *rtpProc) callerSock(i int) netip.AddrPort { return p.callers[i%len(p.callers)] }
func (p *rtpProc) agentSock(i int) netip.AddrPort  { return p.agents[i%len(p.agents)] }

func (p *rtpProc) addStream(i int, caller bool, to netip.AddrPort, pt uint8) {
	p.send(fmt.Sprintf("add %d %t %s %d", i, caller, to, pt))
}

func (p *rtpProc) measure(on bool) error { return p.call(fmt.Sprintf("measure %t", on), nil) }

func (p *rtpProc) waitFlowing(streams, per int, bound time.Duration) error {
	return p.call(fmt.Sprintf("flowing %d %d %s", streams, per, bound), nil)
}

func (p *rtpProc) result() (childResult, error) {
	var r childResult
	err := p.call("result", &r)
	return r, err
}

// close ends the child (its command pipe closes) and waits for it.
func (p *rtpProc) close() error {
	p.w.Close()
	return p.cmd.Wait()
}

// TestBridgedRTPChild is the child side: it does nothing in a normal run.
func TestBridgedRTPChild(t *testing.T) {
	k, err := strconv.Atoi(os.Getenv(bridgedChildEnv))
	if err != nil {
		t.Skip("the RTP child of TestBridgedCallsLoad (run by it)")
	}
	cmds, answers := os.NewFile(3, "commands"), os.NewFile(4, "answers")
	defer answers.Close()
	if err := bridgedRTPChild(k, cmds, answers); err != nil {
		t.Fatal(err)
	}
}

// bridgedRTPChild serves one parent: it opens k sockets per side, says
// where they are, then runs the parent's commands until its pipe closes:
//
//	add <i> <caller bool> <addr:port> <payload type>  a stream to send (no answer)
//	measure <bool>                                    start/stop counting
//	flowing <streams> <packets> <bound>               wait until that many streams delivered that many packets
//	result                                            the figures (childResult)
func bridgedRTPChild(k int, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h, err := newRTPHarness(ctx, k)
	if err != nil {
		return err
	}
	defer func() {
		cancel() // stops the sender
		h.close()
	}()
	reply := func(v any, err error) error {
		if err != nil {
			_, werr := fmt.Fprintf(out, "error: %v\n", err)
			return werr
		}
		b, _ := json.Marshal(v)
		_, werr := out.Write(append(b, '\n'))
		return werr
	}
	var hello struct{ Callers, Agents []netip.AddrPort }
	for i := range k {
		hello.Callers = append(hello.Callers, h.callerSock(i))
		hello.Agents = append(hello.Agents, h.agentSock(i))
	}
	if err := reply(hello, nil); err != nil {
		return err
	}
	var cpu0 time.Duration
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var err error
		switch f[0] {
		case "add":
			if len(f) != 5 {
				return fmt.Errorf("bad command %q", sc.Text())
			}
			i, _ := strconv.Atoi(f[1])
			to, aerr := netip.ParseAddrPort(f[3])
			pt, _ := strconv.Atoi(f[4])
			if aerr != nil {
				return aerr
			}
			h.addStream(i, f[2] == "true", to, uint8(pt))
			continue
		case "measure":
			on := len(f) > 1 && f[1] == "true"
			if on {
				cpu0 = processCPU()
			}
			h.measure(on)
			err = reply(true, nil)
		case "flowing":
			var streams, per int
			var bound time.Duration
			if len(f) == 4 {
				streams, _ = strconv.Atoi(f[1])
				per, _ = strconv.Atoi(f[2])
				bound, _ = time.ParseDuration(f[3])
			}
			err = reply(true, h.waitFlowing(ctx, streams, per, bound))
		case "result":
			err = reply(childResult{ToCallers: h.result(true), ToAgents: h.result(false), CPU: processCPU() - cpu0}, nil)
		default:
			return fmt.Errorf("unknown command %q", sc.Text())
		}
		if err != nil {
			return err
		}
	}
	return sc.Err()
}
