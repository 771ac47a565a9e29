package flowtest

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/ivr"
)

// Case is one test of a test file.
type Case struct {
	Name    string
	File    string
	Line    int
	Flow    string
	Entry   string
	Channel ivr.ChannelKind
	ANI     string
	Lang    string
	Start   string
	Time    time.Time

	customers  map[string]*customer // by ANI
	down       map[string]bool      // back-end ops that fail; "*" = all
	ticketDown bool
	queueDown  bool
	noCallback bool // the queue refuses callbacks
	verified   ivr.Verification
	vars       map[string]any // initial variables (what the chat form gave)
	code       string         // the one-time code the SMS carries
	smsLimited bool           // the verifier refuses to send more codes
	pinMax     int            // > 0: a PIN guard allowing this many attempts per account
	pinFails   map[string]int // failures already counted per account (other contacts)
	articles   []article      // the knowledge base the answer node searches
	kbDown     bool           // the knowledge base fails

	steps  []step // > and < lines, in order
	checks []step // = lines
}

type article struct{ id, word, title string }

type customer struct {
	ani      string
	cust     ivr.Customer
	bill     ivr.Bill
	points   int64
	password string
}

type step struct {
	line   int
	dir    byte // '>' expect, '<' input, '!' input during the last prompt, '=' check
	words  []string
	remain time.Duration // what is left of a "< wait"
}

func (s step) text() string { return strings.Join(s.words, " ") }

// DefaultTime is a Monday morning in the center's time zone.
var DefaultTime = time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Parse reads a test file.
func Parse(file, src string) ([]*Case, error) {
	var cases []*Case
	var c *Case
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	errf := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
	}
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		head := fields[0]
		if head == "test" {
			c = &Case{Name: strings.TrimSpace(strings.TrimPrefix(text, "test")), File: file, Line: line, Entry: "10000",
				Channel: ivr.Voice, Time: DefaultTime, customers: map[string]*customer{}, down: map[string]bool{}}
			cases = append(cases, c)
			continue
		}
		if c == nil {
			return nil, errf(line, "want `test NAME` before %q", head)
		}
		arg := ""
		if len(fields) > 1 {
			arg = fields[1]
		}
		switch head {
		case "flow":
			c.Flow = arg
		case "entry":
			c.Entry = arg
		case "start":
			c.Start = arg
		case "channel":
			if arg != string(ivr.Voice) && arg != string(ivr.Chat) {
				return nil, errf(line, "channel: want voice or chat")
			}
			c.Channel = ivr.ChannelKind(arg)
		case "ani":
			c.ANI = arg
		case "lang":
			c.Lang = arg
		case "time":
			t, err := time.Parse(time.RFC3339, arg)
			if err != nil {
				return nil, errf(line, "time: want RFC 3339 like 2026-11-23T10:00:00+08:00")
			}
			c.Time = t
		case "customer":
			cu, err := parseCustomer(fields[1:])
			if err != nil {
				return nil, errf(line, "customer: %v", err)
			}
			c.customers[cu.ani] = cu
		case "backend":
			if arg != "down" {
				return nil, errf(line, "backend: want `backend down [op...]`")
			}
			if len(fields) == 2 {
				c.down["*"] = true
			}
			for _, op := range fields[2:] {
				c.down[op] = true
			}
		case "tickets":
			c.ticketDown = arg == "down"
		case "verified":
			c.verified = ivr.Verification(arg)
		case "code":
			c.code = arg
		case "sms":
			if arg != "limited" {
				return nil, errf(line, "sms: want `sms limited`")
			}
			c.smsLimited = true
		case "var":
			if len(fields) < 3 {
				return nil, errf(line, "var: want `var NAME VALUE`")
			}
			if c.vars == nil {
				c.vars = map[string]any{}
			}
			c.vars[arg] = strings.Join(fields[2:], " ")
		case "pin_guard":
			n, err := strconv.Atoi(arg)
			if err != nil || n < 1 {
				return nil, errf(line, "pin_guard: want `pin_guard MAX [ACCOUNT=FAILURES...]`")
			}
			c.pinMax, c.pinFails = n, map[string]int{}
			for _, kv := range fields[2:] {
				k, v, _ := strings.Cut(kv, "=")
				f, err := strconv.Atoi(v)
				if err != nil {
					return nil, errf(line, "pin_guard: %q: want ACCOUNT=FAILURES", kv)
				}
				c.pinFails[k] = f
			}
		case "queue":
			c.queueDown = arg == "down"
			c.noCallback = arg == "nocallback"
		case "article":
			// article ID WORD TITLE: a public article found by questions
			// holding WORD; `article down`: the knowledge base fails.
			if arg == "down" {
				c.kbDown = true
				break
			}
			if len(fields) < 4 {
				return nil, errf(line, "article: want `article ID WORD TITLE` or `article down`")
			}
			c.articles = append(c.articles, article{id: arg, word: fields[2], title: strings.Join(fields[3:], " ")})
		case ">", "<", "<!", "=":
			if len(fields) < 2 {
				return nil, errf(line, "%s needs something after it", head)
			}
			dir := head[0]
			if head == "<!" {
				dir = '!'
			}
			st := step{line: line, dir: dir, words: fields[1:]}
			if dir == '<' && fields[1] == "wait" {
				if len(fields) != 3 {
					return nil, errf(line, "want `< wait DURATION`")
				}
				d, err := time.ParseDuration(fields[2])
				if err != nil || d <= 0 {
					return nil, errf(line, "wait: bad duration %q", fields[2])
				}
				st.remain = d
			}
			if dir == '=' {
				c.checks = append(c.checks, st)
			} else {
				c.steps = append(c.steps, st)
			}
		case "end":
			c = nil
		default:
			return nil, errf(line, "unknown line %q", head)
		}
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%s: no tests", file)
	}
	return cases, nil
}

func parseCustomer(fields []string) (*customer, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("want `customer ANI key=value...`")
	}
	cu := &customer{ani: fields[0]}
	for _, kv := range fields[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want key=value", kv)
		}
		var err error
		switch k {
		case "account":
			cu.cust.Account = v
		case "name":
			cu.cust.Name = v
		case "tier":
			cu.cust.Tier = v
		case "balance":
			cu.bill.Balance, err = ivr.ParseMoney(v)
		case "bill":
			cu.bill.Amount, err = ivr.ParseMoney(v)
		case "due":
			cu.bill.Due, err = time.Parse(time.DateOnly, v)
		case "points":
			_, err = fmt.Sscan(v, &cu.points)
		case "password":
			cu.password = v
		default:
			return nil, fmt.Errorf("unknown key %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", k, err)
		}
	}
	return cu, nil
}
