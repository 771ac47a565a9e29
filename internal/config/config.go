// Package config is Hotline's configuration: one typed struct with
// documented defaults, read from an optional YAML file, then environment
// variables, then command-line flags, each overriding the one before.
//
// Every key has all three spellings, derived from its path: the key
// "http.shutdown_timeout" is `http: {shutdown_timeout: …}` in the file,
// HOTLINE_HTTP_SHUTDOWN_TIMEOUT in the environment and
// --http-shutdown-timeout on the command line. Unknown keys in the file are
// errors, and every error names the key and the value.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // center.time_zone loads without /usr/share/zoneinfo

	"github.com/hotline10000/hotline/internal/dsn"
)

// Config is the whole configuration of a Hotline node.
type Config struct {
	DataDir string `yaml:"data_dir" doc:"Directory of the embedded store (SQLite file) and other local state."`
	NodeID  string `yaml:"node_id" doc:"This node's name in the event log (every event carries it); empty: the host name."`

	HTTP struct {
		Addr              string        `yaml:"addr" doc:"Listen address of the HTTP server (desk, chat, API, /metrics)."`
		ReadHeaderTimeout time.Duration `yaml:"read_header_timeout" doc:"Time a client has to send request headers."`
		ShutdownTimeout   time.Duration `yaml:"shutdown_timeout" doc:"How long a graceful shutdown waits for requests in flight before closing them."`
		MaxBodyBytes      int64         `yaml:"max_body_bytes" doc:"Largest request body the JSON API accepts."`
		FrameAncestors    []string      `yaml:"frame_ancestors" doc:"Sites that may show the desk, board and chat pages in a frame (CSP frame-ancestors sources: 'self', 'none', https://host); the chat page also allows desk.allowed_origins, which embed the widget."`
		TrustedProxies    []string      `yaml:"trusted_proxies" doc:"Reverse proxies and load balancers (addresses or CIDR prefixes) whose X-Forwarded-For is believed for the client address of per-address limits; empty: the socket's peer is the client."`
	} `yaml:"http"`

	Database struct {
		URL            string        `yaml:"url" doc:"Empty for the embedded SQLite store in data_dir; postgres://user:pass@host/db for PostgreSQL." secret:"true"`
		MaxConns       int           `yaml:"max_conns" doc:"Connection pool size."`
		MigrateOnStart bool          `yaml:"migrate_on_start" doc:"Apply pending migrations when serve starts (otherwise run 'hotline migrate')."`
		LockTimeout    time.Duration `yaml:"lock_timeout" doc:"How long to wait for the data directory (SQLite) or the migration lock (PostgreSQL)."`
	} `yaml:"database"`

	Auth struct {
		SessionIdleTimeout time.Duration `yaml:"session_idle_timeout" doc:"A desk session with no activity for this long is logged out."`
		SessionMaxAge      time.Duration `yaml:"session_max_age" doc:"Longest a session lives, whatever its activity (one shift)."`
		LoginFreeFailures  int           `yaml:"login_free_failures" doc:"Failed logins (and current-password checks) one account may have from one client address before each further attempt waits login_delay, doubled per failure."`
		LoginDelay         time.Duration `yaml:"login_delay" doc:"First wait imposed on an account and address pair past login_free_failures; it doubles with each further failure."`
		LoginDelayMax      time.Duration `yaml:"login_delay_max" doc:"Longest wait between two attempts of one account and address pair."`
		LoginLimitAccount  int           `yaml:"login_limit_account" doc:"Ceiling of failed logins per account within login_limit_window, across addresses; addresses the account logged in from within 30 days are exempt."`
		LoginLimitAddress  int           `yaml:"login_limit_address" doc:"Ceiling of failed logins per client address within login_limit_window, across accounts; accounts that logged in from that address within 30 days are exempt."`
		LoginLimitWindow   time.Duration `yaml:"login_limit_window" doc:"Window of the login ceilings; a pair's failures are forgotten after this long without one."`
		PasswordMinLength  int           `yaml:"password_min_length" doc:"Shortest password accepted when one is set."`
	} `yaml:"auth"`

	ACD struct {
		OfferTimeout     time.Duration `yaml:"offer_timeout" doc:"How long an agent has to accept an offered contact before it goes to the next agent."`
		WrapUp           time.Duration `yaml:"wrap_up" doc:"After-contact work time given to an agent after each contact (0: none)."`
		WrapUpCap        time.Duration `yaml:"wrap_up_cap" doc:"Longest after-contact work including the agent's extensions."`
		Aging            time.Duration `yaml:"aging" doc:"Wait worth one priority point, so lower tiers are never starved (0: strict priority)."`
		RejectToReady    bool          `yaml:"reject_to_ready" doc:"An agent who rejects an offer stays ready (otherwise: not ready, reason rejected)."`
		ChatCapacity     int           `yaml:"chat_capacity" doc:"Chats an agent may hold at once."`
		VoiceBlocksChat  bool          `yaml:"voice_blocks_chat" doc:"An agent on a call is offered no chat."`
		SnapshotInterval time.Duration `yaml:"snapshot_interval" doc:"How often queued contacts and agent states are saved, so a restart loses no place in a queue."`
	} `yaml:"acd"`

	Center struct {
		TimeZone string `yaml:"time_zone" doc:"IANA time zone of the contact center: the supervisor board's \"today\" starts at midnight here."`
	} `yaml:"center"`

	Desk struct {
		AllowedOrigins       []string      `yaml:"allowed_origins" doc:"Sites (scheme://host[:port]) whose pages may embed the chat widget and open /ws/chat; the desk and board accept their own origin only."`
		ChatStartsPerAddress int           `yaml:"chat_starts_per_address" doc:"New web chats one client address may start per minute (token bucket; see http.trusted_proxies for clients behind a proxy)."`
		ChatStartBurst       int           `yaml:"chat_start_burst" doc:"New web chats one client address may start at once before chat_starts_per_address applies."`
		ChatStartsPerSecond  int           `yaml:"chat_starts_per_second" doc:"New web chats this node starts per second for all customers together (token bucket, burst of twice this); beyond it 429 with Retry-After."`
		TranscriptRetention  time.Duration `yaml:"transcript_retention" doc:"How long chat transcripts are kept; older messages are purged hourly (0: kept for good)."`
		TranscriptSpillMiB   int           `yaml:"transcript_spill_mib" doc:"Size (MiB) the transcript spill file in data_dir may grow to while the store is behind; chat messages past the memory buffer wait there and are stored in order once the store catches up (also after a restart)."`
		TranscriptMaxWait    time.Duration `yaml:"transcript_max_wait" doc:"How long a chat message waits for room when the transcript buffer and spill are both full; past it the message is not stored (hotline_transcript_lost_total) rather than stall every chat."`
	} `yaml:"desk"`

	IVR struct {
		FlowsDir       string        `yaml:"flows_dir" doc:"Directory of IVR flow files (with calendars.yaml, prompts/ and tests/); empty: the built-in 10000 flows. Reloaded on SIGHUP or POST /api/v1/admin/flows/reload."`
		PINMaxFailures int           `yaml:"pin_max_failures" doc:"Service-PIN attempts allowed per customer account within pin_window, counted across contacts and channels; then the PIN is locked."`
		PINWindow      time.Duration `yaml:"pin_window" doc:"Window of pin_max_failures."`
		PINLock        time.Duration `yaml:"pin_lock" doc:"How long a locked service PIN stays locked (an agent may unlock it earlier for a customer who proved their number)."`
		CodeTTL        time.Duration `yaml:"code_ttl" doc:"How long a one-time code sent by SMS to a chat customer's number stays valid."`
		CodeAttempts   int           `yaml:"code_attempts" doc:"Wrong entries of a one-time code before it is void."`
		CodesPerPhone  int           `yaml:"codes_per_phone" doc:"One-time codes one phone number gets per hour, across chats (the chat is no SMS cannon)."`
		AlwaysOpen     bool          `yaml:"always_open" doc:"Every business-hours calendar the flows ask (open(\"center\")) answers open, 24×7, for a demo or test center reached at any hour. Ticket SLAs keep their own calendars."`
	} `yaml:"ivr"`

	SIP struct {
		UDPAddr          string        `yaml:"udp_addr" doc:"SIP listen address on UDP (host:port; default port 5060); empty: no UDP listener."`
		TCPAddr          string        `yaml:"tcp_addr" doc:"SIP listen address on TCP; empty: no TCP listener."`
		TLSAddr          string        `yaml:"tls_addr" doc:"SIP listen address on TLS (usually port 5061); empty: no TLS listener. Needs sip.tls_cert and sip.tls_key."`
		TLSCert          string        `yaml:"tls_cert" doc:"PEM certificate file of the TLS listener."`
		TLSKey           string        `yaml:"tls_key" doc:"PEM private key file of the TLS listener." secret:"true"`
		MediaIP          string        `yaml:"media_ip" doc:"Address RTP is received on and announced in SDP answers; empty: the local address the host routes to each caller from."`
		RTPPortMin       int           `yaml:"rtp_port_min" doc:"Lowest UDP port of the RTP sockets (0 with rtp_port_max 0: any free port)."`
		RTPPortMax       int           `yaml:"rtp_port_max" doc:"Highest UDP port of the RTP sockets."`
		Numbers          []string      `yaml:"numbers" doc:"Dialled numbers answered, each number=flow (10000=main); calls to any other number get 404."`
		TrustedPeers     []string      `yaml:"trusted_peers" doc:"SIP peers (addresses or CIDR prefixes: your SBC, carrier trunks) whose P-Asserted-Identity names the caller; from anyone else the From user does."`
		MaxCalls         int           `yaml:"max_calls" doc:"Concurrent calls this node takes; further INVITEs get 503 with Retry-After."`
		MaxCPUPercent    int           `yaml:"max_cpu_percent" doc:"Machine CPU busy over the last second (percent of all cores, from /proc/stat) above which new INVITEs get 503 with Retry-After, so live calls' paced audio keeps its CPU; 0 turns the check off (off by default: on a shared host the machine's load is not only this node's; 80 suits a dedicated voice node)."`
		InvitesPerSource int           `yaml:"invites_per_source" doc:"New calls one source address may start per second (token bucket, burst of twice this); past it INVITEs get 503 with Retry-After."`
		RetryAfter       time.Duration `yaml:"retry_after" doc:"Retry-After of a 503 (full, draining or flooded)."`
		RingDelay        time.Duration `yaml:"ring_delay" doc:"How long the hotline rings (180) before it answers; 0 answers at once."`
		RTPTimeout       time.Duration `yaml:"rtp_timeout" doc:"A call whose caller sends no RTP for this long is hung up (BYE): a dead phone or a lost network."`
		DrainTimeout     time.Duration `yaml:"drain_timeout" doc:"On shutdown, how long live calls may go on (new calls get 503) before the rest are hung up with BYE."`
		Trunk            Trunk         `yaml:"trunk"`
	} `yaml:"sip"`

	// Phones are the agents' phones (ivr/phone, issue 12).
	Phones struct {
		DefaultKind        string        `yaml:"default_kind" doc:"Phone that rings for an agent who chose none: browser (the desk page's softphone) or sip (a registered SIP phone)."`
		Realm              string        `yaml:"realm" doc:"Digest realm of SIP phone registrations; agents' SIP passwords are stored hashed for this realm (changing it voids them)."`
		RegisterFailures   int           `yaml:"register_failures" doc:"Wrong SIP credentials from one source address within a minute before that source is locked out (REGISTER gets 503 with Retry-After)."`
		RegisterLock       time.Duration `yaml:"register_lock" doc:"How long a source address stays locked out after too many wrong SIP credentials."`
		RegistersPerSource int           `yaml:"registers_per_source" doc:"REGISTERs one source address may send per second, with or without credentials (token bucket of phones.register_burst); past it REGISTER gets 503 with Retry-After (sip.retry_after). Generous by default: an SBC or PBX registers all its phones from one address, two REGISTERs each."`
		RegisterBurst      int           `yaml:"register_burst" doc:"REGISTERs one source address may send at once before phones.registers_per_source applies: at least twice the phones behind one SBC or PBX, which re-register together after a restart."`
		Record             bool          `yaml:"record" doc:"Record every bridged call to a stereo WAV (caller left, agent right) under the data directory's recordings/, linked to its contact; played by supervisors and the call's agent, each play audited."`
		MaxExpires         time.Duration `yaml:"max_expires" doc:"Longest SIP phone registration granted; phones asking for more get this."`
		RecordQueues       []string      `yaml:"record_queues" doc:"With phones.record on, the queues whose calls are recorded (queue ids); empty: every queue. The default of queues without their own record field (administration); voice messages are always kept."`
		RecordRetention    time.Duration `yaml:"record_retention" doc:"How long call recordings and voice messages are kept; older ones (file and row) are purged hourly. 0 keeps them forever."`
	} `yaml:"phones"`

	// Admin tunes administration (internal/admin, issue 15).
	Admin struct {
		NoticeRefresh     time.Duration `yaml:"notice_refresh" doc:"How often the node checks whether announcements were created or withdrawn on another node sharing the database, and reloads its IVR outage notices if so (one small query each time); 0: only this node's own changes and a restart reload them (a single node)."`
		IdempotencyKeyTTL time.Duration `yaml:"idempotency_key_ttl" doc:"How long an Idempotency-Key of an administrative creation is remembered (a retry within it answers with what the first request created); older keys are swept hourly."`
	} `yaml:"admin"`

	Softphone struct {
		Enabled   bool     `yaml:"enabled" doc:"The desk page is the agent's phone (WebRTC, G.711; docs/desk-protocol.md, Desk phone): voice calls ring on the desk of agents whose phone is the desk. false: desks are no phones."`
		IPs       []string `yaml:"ips" doc:"Local addresses offered to the browsers as ICE host candidates; empty: every address of every interface up, loopback excluded (list 127.0.0.1 for browsers on this host)."`
		PublicIPs []string `yaml:"public_ips" doc:"Addresses announced instead of the host candidates' own, for a node behind a 1:1 NAT; empty: none."`
		PortMin   int      `yaml:"port_min" doc:"Lowest UDP port of the softphone calls' media sockets (0 with port_max 0: any free port)."`
		PortMax   int      `yaml:"port_max" doc:"Highest UDP port of the softphone calls' media sockets."`
	} `yaml:"softphone"`

	Tickets struct {
		SettingsFile string `yaml:"settings_file" doc:"YAML file of the ticket desk: dispatch rules, SLA policies, calendars, directory, notification adapters (docs/tickets.md). Empty: the demo desk with the demo, else defaults."`
	} `yaml:"tickets"`

	Knowledge struct {
		Backend     string `yaml:"backend" doc:"Search backend of the knowledge base: embedded (an in-process index rebuilt from the store at start) or meilisearch (a Meilisearch server at knowledge.meili_url, fed from the store's outbox; docs/knowledge.md)."`
		MeiliURL    string `yaml:"meili_url" doc:"URL of the Meilisearch server when knowledge.backend is meilisearch, e.g. http://127.0.0.1:7700."`
		MeiliAPIKey string `yaml:"meili_api_key" doc:"API key for Meilisearch (an admin key: the index is created and configured at start)." secret:"true"`
		MeiliIndex  string `yaml:"meili_index" doc:"Meilisearch index uid holding the articles."`
		// AnswerMinMatch is knowledge.Options.AnswerConfidence in percent.
		AnswerMinMatch int `yaml:"answer_min_match" doc:"Least share, in percent, of a chat customer's question the best public article must cover (its words, or synonyms of them; docs/knowledge.md) for the chat flow's answer node to offer it; below, the flow goes on to an agent. 0 offers the best hit whatever it covers."`
	} `yaml:"knowledge"`

	KPI struct {
		VoiceThreshold time.Duration `yaml:"voice_threshold" doc:"N of the voice service level (SL02: answered within N, wait ≤ N); 15s is the regulator's human-answer limit."`
		ChatThreshold  time.Duration `yaml:"chat_threshold" doc:"N of the chat service level (SL02)."`
		ShortAbandon   time.Duration `yaml:"short_abandon" doc:"Longest wait of a short abandon: counted in the abandon rate and shown apart, so the variant without them can be read (docs/metrics.md)."`
		Targets        []string      `yaml:"targets" doc:"Overrides of the KPI targets of docs/metrics.md, each ID[/channel]=>=N, <=N, N..M or none, e.g. SL02/voice=>=0.85, EF03=0.8..0.92."`
		ReportTo       []string      `yaml:"report_to" doc:"E-mail addresses of the managers who get the day report (every KPI of the previous day, each queue's day) through the ticket outbox after midnight (00:10, center time); needs the e-mail settings of the tickets file (notify.smtp). Empty: no report."`
	} `yaml:"kpi"`

	Log struct {
		Level  string `yaml:"level" doc:"debug, info, warn or error."`
		Format string `yaml:"format" doc:"text or json."`
	} `yaml:"log"`

	Runtime struct {
		GCPercent int `yaml:"gc_percent" doc:"The Go collector's GOGC: the heap may grow this many percent past the live data before a collection. Above Go's 100 a node collects less often (each collection scans every desk socket's goroutine and takes CPU from offers on their way), and holds more memory above its live heap, in proportion. 0 (the default): Go's 100. The GOGC environment variable, when set, wins."`
	} `yaml:"runtime"`

	Debug struct {
		Addr string `yaml:"addr" doc:"Listen address of the profiling listener (/debug/pprof/: CPU, heap, goroutines, mutex and block profiles), on a loopback address only (127.0.0.1:6060, [::1]:6060, localhost:6060); empty: off. It has no authentication, so it never listens beyond the host."`
	} `yaml:"debug"`

	Demo bool `yaml:"demo" doc:"Seed a demo center (agents, queues, customers) into an empty store. --no-demo turns it off."`
}

// Default returns the configuration used where nothing overrides it.
func Default() Config {
	var c Config
	c.DataDir = "./hotline-data"
	c.HTTP.Addr = ":8080"
	c.HTTP.ReadHeaderTimeout = 10 * time.Second
	c.HTTP.ShutdownTimeout = 15 * time.Second
	c.HTTP.MaxBodyBytes = 1 << 20
	c.HTTP.FrameAncestors = []string{"'self'"}
	c.Database.MaxConns = 10
	c.Database.MigrateOnStart = true
	c.Database.LockTimeout = 30 * time.Second
	c.Auth.SessionIdleTimeout = 30 * time.Minute
	c.Auth.SessionMaxAge = 12 * time.Hour
	c.Auth.LoginFreeFailures = 3
	c.Auth.LoginDelay = time.Second
	c.Auth.LoginDelayMax = 10 * time.Minute
	c.Auth.LoginLimitAccount = 30
	c.Auth.LoginLimitAddress = 100
	c.Auth.LoginLimitWindow = 15 * time.Minute
	c.Auth.PasswordMinLength = 8
	c.ACD.OfferTimeout = 15 * time.Second
	c.ACD.WrapUp = 30 * time.Second
	c.ACD.WrapUpCap = 2 * time.Minute
	c.ACD.Aging = 30 * time.Second
	c.ACD.ChatCapacity = 3
	c.ACD.VoiceBlocksChat = true
	c.ACD.SnapshotInterval = 10 * time.Second
	c.Center.TimeZone = "Asia/Shanghai"
	c.Desk.ChatStartsPerAddress = 30
	c.Desk.ChatStartBurst = 10
	c.Desk.ChatStartsPerSecond = 200
	c.Desk.TranscriptRetention = 180 * 24 * time.Hour
	c.Desk.TranscriptSpillMiB = 256
	c.Desk.TranscriptMaxWait = 10 * time.Second
	c.IVR.PINMaxFailures = 5
	c.IVR.PINWindow = 15 * time.Minute
	c.IVR.PINLock = 30 * time.Minute
	c.IVR.CodeTTL = 5 * time.Minute
	c.IVR.CodeAttempts = 3
	c.IVR.CodesPerPhone = 5
	c.SIP.UDPAddr = ":5060"
	c.SIP.TCPAddr = ":5060"
	c.SIP.Numbers = []string{"10000=main"}
	c.SIP.MaxCalls = 2000
	c.SIP.InvitesPerSource = 500
	c.SIP.RetryAfter = 10 * time.Second
	c.SIP.RTPTimeout = 30 * time.Second
	c.SIP.DrainTimeout = 30 * time.Second
	c.SIP.Trunk.Transport = "udp"
	c.SIP.Trunk.DialPlan = []string{`1[3-9]\d{9}`, `[2-8]\d{7}`} // mainland mobiles and local 8-digit numbers
	c.SIP.Trunk.RingTimeout = 45 * time.Second
	c.SIP.Trunk.CallbackAttempts = 3
	c.SIP.Trunk.CallbackRetryInterval = 10 * time.Minute
	c.Phones.DefaultKind = "browser"
	c.Phones.Realm = "hotline"
	c.Phones.RegisterFailures = 5
	c.Phones.RegisterLock = 5 * time.Minute
	c.Phones.RegistersPerSource = 200
	c.Phones.RegisterBurst = 4000
	c.Phones.MaxExpires = 2 * time.Hour
	c.Phones.Record = true
	c.Admin.NoticeRefresh = 5 * time.Second
	c.Admin.IdempotencyKeyTTL = 24 * time.Hour
	c.Softphone.Enabled = true
	c.Knowledge.Backend = "embedded"
	c.Knowledge.MeiliIndex = "hotline_articles"
	c.Knowledge.AnswerMinMatch = 50
	c.KPI.VoiceThreshold = 20 * time.Second
	c.KPI.ChatThreshold = 300 * time.Second
	c.KPI.ShortAbandon = 5 * time.Second
	c.Log.Level = "info"
	c.Log.Format = "text"
	c.Demo = true
	return c
}

// Error is a configuration error about one key.
type Error struct {
	Key    string // dotted key, e.g. "http.addr"
	Source string // where the value came from: a file:line, an env var, a flag
	Value  string
	Reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	b.WriteString(e.Key)
	if e.Source != "" {
		b.WriteString(" (")
		b.WriteString(e.Source)
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Value != "" {
		fmt.Fprintf(&b, ": %q", e.Value)
	}
	return b.String()
}

// Validate checks values that parse but make no sense.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, value, reason string) { errs = append(errs, &Error{Key: key, Value: value, Reason: reason}) }
	positive := func(key string, d time.Duration) {
		if d <= 0 {
			bad(key, d.String(), "must be positive")
		}
	}
	if c.DataDir == "" {
		bad("data_dir", "", "must not be empty")
	}
	if _, port, err := net.SplitHostPort(c.HTTP.Addr); err != nil || port == "" {
		bad("http.addr", c.HTTP.Addr, "want host:port or :port")
	}
	positive("http.read_header_timeout", c.HTTP.ReadHeaderTimeout)
	positive("kpi.voice_threshold", c.KPI.VoiceThreshold)
	positive("kpi.chat_threshold", c.KPI.ChatThreshold)
	positive("kpi.short_abandon", c.KPI.ShortAbandon)
	for _, a := range c.KPI.ReportTo {
		if _, err := mail.ParseAddress(a); err != nil {
			bad("kpi.report_to", a, "want an e-mail address such as boss@example.cn")
		}
	}
	positive("http.shutdown_timeout", c.HTTP.ShutdownTimeout)
	if c.HTTP.MaxBodyBytes < 1024 {
		bad("http.max_body_bytes", fmt.Sprint(c.HTTP.MaxBodyBytes), "must be at least 1024")
	}
	if u := c.Database.URL; u != "" {
		// Shown with its password masked, whatever form it was written in.
		p, err := url.Parse(u)
		switch {
		case err != nil:
			bad("database.url", dsn.Redact(u), "not a URL")
		case p.Scheme != "postgres" && p.Scheme != "postgresql":
			bad("database.url", dsn.Redact(u), "want a postgres:// URL, or empty for the embedded store")
		}
	}
	if c.Database.MaxConns < 1 || c.Database.MaxConns > 1000 {
		bad("database.max_conns", fmt.Sprint(c.Database.MaxConns), "must be between 1 and 1000")
	}
	positive("database.lock_timeout", c.Database.LockTimeout)
	switch c.Knowledge.Backend {
	case "embedded":
	case "meilisearch":
		if u, err := url.Parse(c.Knowledge.MeiliURL); c.Knowledge.MeiliURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("knowledge.meili_url", c.Knowledge.MeiliURL, "want an http:// or https:// URL when knowledge.backend is meilisearch")
		}
		if !meiliIndexUID.MatchString(c.Knowledge.MeiliIndex) {
			bad("knowledge.meili_index", c.Knowledge.MeiliIndex, "want 1-400 of A-Z a-z 0-9 - _")
		}
	default:
		bad("knowledge.backend", c.Knowledge.Backend, "want embedded or meilisearch")
	}
	if c.Knowledge.AnswerMinMatch < 0 || c.Knowledge.AnswerMinMatch > 100 {
		bad("knowledge.answer_min_match", fmt.Sprint(c.Knowledge.AnswerMinMatch), "must be between 0 and 100 (percent)")
	}
	positive("auth.session_idle_timeout", c.Auth.SessionIdleTimeout)
	positive("auth.session_max_age", c.Auth.SessionMaxAge)
	if c.Auth.SessionIdleTimeout > c.Auth.SessionMaxAge {
		bad("auth.session_idle_timeout", c.Auth.SessionIdleTimeout.String(), "must not exceed auth.session_max_age")
	}
	if c.Auth.LoginLimitAccount < 1 {
		bad("auth.login_limit_account", fmt.Sprint(c.Auth.LoginLimitAccount), "must be at least 1")
	}
	if c.Auth.LoginLimitAddress < 1 {
		bad("auth.login_limit_address", fmt.Sprint(c.Auth.LoginLimitAddress), "must be at least 1")
	}
	positive("auth.login_limit_window", c.Auth.LoginLimitWindow)
	if c.Auth.LoginFreeFailures < 1 || c.Auth.LoginFreeFailures > 100 {
		bad("auth.login_free_failures", fmt.Sprint(c.Auth.LoginFreeFailures), "must be between 1 and 100")
	}
	positive("auth.login_delay", c.Auth.LoginDelay)
	if c.Auth.LoginDelayMax < c.Auth.LoginDelay {
		bad("auth.login_delay_max", c.Auth.LoginDelayMax.String(), "must be at least auth.login_delay")
	}
	positive("ivr.pin_window", c.IVR.PINWindow)
	positive("ivr.pin_lock", c.IVR.PINLock)
	positive("ivr.code_ttl", c.IVR.CodeTTL)
	for key, n := range map[string]int{"ivr.pin_max_failures": c.IVR.PINMaxFailures, "ivr.code_attempts": c.IVR.CodeAttempts,
		"ivr.codes_per_phone": c.IVR.CodesPerPhone} {
		if n < 1 || n > 100 {
			bad(key, fmt.Sprint(n), "must be between 1 and 100")
		}
	}
	if c.Auth.PasswordMinLength < 8 || c.Auth.PasswordMinLength > 128 {
		bad("auth.password_min_length", fmt.Sprint(c.Auth.PasswordMinLength), "must be between 8 and 128")
	}
	if c.ACD.OfferTimeout < time.Second || c.ACD.OfferTimeout > 10*time.Minute {
		bad("acd.offer_timeout", c.ACD.OfferTimeout.String(), "must be between 1s and 10m")
	}
	if c.ACD.WrapUp < 0 || c.ACD.WrapUp > time.Hour {
		bad("acd.wrap_up", c.ACD.WrapUp.String(), "must be between 0 and 1h")
	}
	if c.ACD.WrapUpCap < c.ACD.WrapUp || c.ACD.WrapUpCap > 4*time.Hour {
		bad("acd.wrap_up_cap", c.ACD.WrapUpCap.String(), "must be at least acd.wrap_up and at most 4h")
	}
	if c.ACD.Aging < 0 || c.ACD.Aging > time.Hour {
		bad("acd.aging", c.ACD.Aging.String(), "must be between 0 and 1h")
	}
	if c.ACD.ChatCapacity < 0 || c.ACD.ChatCapacity > 20 {
		bad("acd.chat_capacity", fmt.Sprint(c.ACD.ChatCapacity), "must be between 0 and 20")
	}
	positive("acd.snapshot_interval", c.ACD.SnapshotInterval)
	if c.Runtime.GCPercent < 0 || c.Runtime.GCPercent > 1000 {
		bad("runtime.gc_percent", fmt.Sprint(c.Runtime.GCPercent), "must be between 0 and 1000")
	}
	if _, err := time.LoadLocation(c.Center.TimeZone); err != nil || c.Center.TimeZone == "" {
		bad("center.time_zone", c.Center.TimeZone, "want an IANA time zone such as Asia/Shanghai")
	}
	if c.Desk.ChatStartsPerAddress < 1 {
		bad("desk.chat_starts_per_address", fmt.Sprint(c.Desk.ChatStartsPerAddress), "must be at least 1")
	}
	if c.Desk.TranscriptRetention < 0 {
		bad("desk.transcript_retention", c.Desk.TranscriptRetention.String(), "must not be negative")
	}
	if c.Desk.TranscriptSpillMiB < 1 || c.Desk.TranscriptSpillMiB > 1<<20 {
		bad("desk.transcript_spill_mib", fmt.Sprint(c.Desk.TranscriptSpillMiB), "must be between 1 and 1048576")
	}
	positive("desk.transcript_max_wait", c.Desk.TranscriptMaxWait)
	if c.Desk.ChatStartBurst < 1 {
		bad("desk.chat_start_burst", fmt.Sprint(c.Desk.ChatStartBurst), "must be at least 1")
	}
	if c.Desk.ChatStartsPerSecond < 1 {
		bad("desk.chat_starts_per_second", fmt.Sprint(c.Desk.ChatStartsPerSecond), "must be at least 1")
	}
	for _, src := range c.HTTP.FrameAncestors {
		if src == "" || strings.ContainsAny(src, " \t;,'\"") && src != "'self'" && src != "'none'" ||
			src == "'none'" && len(c.HTTP.FrameAncestors) > 1 {
			bad("http.frame_ancestors", src, "want 'self', 'none' (alone), or sources such as https://example.com")
		}
	}
	for _, p := range c.HTTP.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				bad("http.trusted_proxies", p, "want an address or a CIDR prefix")
			}
		}
	}
	c.validateSIP(bad)
	if k := c.Phones.DefaultKind; k != "browser" && k != "sip" {
		bad("phones.default_kind", k, "must be browser or sip")
	}
	positive("admin.idempotency_key_ttl", c.Admin.IdempotencyKeyTTL)
	if c.Admin.NoticeRefresh < 0 {
		bad("admin.notice_refresh", c.Admin.NoticeRefresh.String(), "must not be negative (0: no periodic check)")
	}
	if c.Phones.RecordRetention < 0 {
		bad("phones.record_retention", c.Phones.RecordRetention.String(), "must not be negative (0 keeps recordings forever)")
	}
	if c.Phones.Realm == "" {
		bad("phones.realm", "", "must not be empty")
	}
	if c.Phones.RegisterFailures < 1 {
		bad("phones.register_failures", fmt.Sprint(c.Phones.RegisterFailures), "must be at least 1")
	}
	if c.Phones.RegisterLock < time.Second {
		bad("phones.register_lock", c.Phones.RegisterLock.String(), "must be at least 1s")
	}
	if c.Phones.RegistersPerSource < 1 {
		bad("phones.registers_per_source", fmt.Sprint(c.Phones.RegistersPerSource), "must be at least 1")
	}
	if c.Phones.RegisterBurst < 1 {
		bad("phones.register_burst", fmt.Sprint(c.Phones.RegisterBurst), "must be at least 1")
	}
	if c.Phones.MaxExpires < time.Minute {
		bad("phones.max_expires", c.Phones.MaxExpires.String(), "must be at least 1m")
	}
	c.validateSoftphone(bad)
	if a := c.Debug.Addr; a != "" && !loopbackAddr(a) {
		bad("debug.addr", a, "want a loopback host:port such as 127.0.0.1:6060 (the profiler has no authentication)")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", c.Log.Level, "want debug, info, warn or error")
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", c.Log.Format, "want text or json")
	}
	return errors.Join(errs...)
}

// validateSoftphone checks the softphone.* keys.
func (c *Config) validateSoftphone(bad func(key, value, reason string)) {
	s := &c.Softphone
	for key, list := range map[string][]string{"softphone.ips": s.IPs, "softphone.public_ips": s.PublicIPs} {
		for _, a := range list {
			if _, err := netip.ParseAddr(a); err != nil {
				bad(key, a, "want an IP address")
			}
		}
	}
	if s.PortMin < 0 || s.PortMax > 65535 || s.PortMin > s.PortMax || (s.PortMin == 0) != (s.PortMax == 0) {
		bad("softphone.port_min", fmt.Sprint(s.PortMin), "want 0 with port_max 0, or a range 1-65535 with min <= max")
	}
}

// validateSIP checks the sip.* keys.
func (c *Config) validateSIP(bad func(key, value, reason string)) {
	s := &c.SIP
	for key, a := range map[string]string{"sip.udp_addr": s.UDPAddr, "sip.tcp_addr": s.TCPAddr, "sip.tls_addr": s.TLSAddr} {
		if a == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			bad(key, a, "want host:port or :port")
		}
	}
	if s.TLSAddr != "" && (s.TLSCert == "" || s.TLSKey == "") {
		bad("sip.tls_addr", s.TLSAddr, "needs sip.tls_cert and sip.tls_key")
	}
	if s.MediaIP != "" {
		if _, err := netip.ParseAddr(s.MediaIP); err != nil {
			bad("sip.media_ip", s.MediaIP, "want an IP address")
		}
	}
	if s.RTPPortMin < 0 || s.RTPPortMax > 65535 || s.RTPPortMin > s.RTPPortMax || (s.RTPPortMin == 0) != (s.RTPPortMax == 0) {
		bad("sip.rtp_port_min", fmt.Sprint(s.RTPPortMin), "want 0 with rtp_port_max 0, or a range 1-65535 with min <= max")
	}
	for _, n := range s.Numbers {
		num, flow, ok := strings.Cut(n, "=")
		if !ok || strings.TrimSpace(num) == "" || strings.TrimSpace(flow) == "" {
			bad("sip.numbers", n, "want number=flow")
		}
	}
	for _, p := range s.TrustedPeers {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				bad("sip.trusted_peers", p, "want an address or a CIDR prefix")
			}
		}
	}
	if s.MaxCalls < 0 {
		bad("sip.max_calls", fmt.Sprint(s.MaxCalls), "must not be negative")
	}
	if s.MaxCPUPercent < 0 || s.MaxCPUPercent > 100 {
		bad("sip.max_cpu_percent", fmt.Sprint(s.MaxCPUPercent), "must be 0 (off) to 100")
	}
	c.validateTrunk(bad)
	if s.InvitesPerSource < 1 {
		bad("sip.invites_per_source", fmt.Sprint(s.InvitesPerSource), "must be at least 1")
	}
	if s.RetryAfter < time.Second {
		bad("sip.retry_after", s.RetryAfter.String(), "must be at least 1s")
	}
	if s.RingDelay < 0 || s.RingDelay > time.Minute {
		bad("sip.ring_delay", s.RingDelay.String(), "must be between 0 and 1m")
	}
	if s.RTPTimeout < time.Second {
		bad("sip.rtp_timeout", s.RTPTimeout.String(), "must be at least 1s")
	}
	if s.DrainTimeout < 0 {
		bad("sip.drain_timeout", s.DrainTimeout.String(), "must not be negative")
	}
}

// loopbackAddr says whether addr is host:port with a port and a loopback
// host (an IP literal or localhost).
func loopbackAddr(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// meiliIndexUID is what Meilisearch accepts as an index uid.
var meiliIndexUID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,400}$`)

func (c *Config) validateTrunk(bad func(key, value, reason string)) {
	t := &c.SIP.Trunk
	if t.Transport != "udp" && t.Transport != "tcp" {
		bad("sip.trunk.transport", t.Transport, "want udp or tcp")
	}
	for _, p := range t.DialPlan {
		if _, err := regexp.Compile(p); err != nil {
			bad("sip.trunk.dial_plan", p, "not a regular expression: "+err.Error())
		}
	}
	if t.CallbackAttempts < 1 || t.CallbackAttempts > 10 {
		bad("sip.trunk.callback_attempts", fmt.Sprint(t.CallbackAttempts), "want 1 to 10")
	}
	if t.CallbackRetryInterval < time.Minute {
		bad("sip.trunk.callback_retry_interval", t.CallbackRetryInterval.String(), "must be at least 1m")
	}
	if t.RingTimeout <= 0 {
		bad("sip.trunk.ring_timeout", t.RingTimeout.String(), "must be positive")
	}
	if t.Proxy == "" {
		return
	}
	if h, port, err := net.SplitHostPort(t.Proxy); err != nil || h == "" || port == "" {
		bad("sip.trunk.proxy", t.Proxy, "want host:port")
	}
	if t.From == "" {
		bad("sip.trunk.from", t.From, "the calling number is required with sip.trunk.proxy")
	}
}

// Trunk is where calls out go: ACD callbacks and ticket return visits
// (issue 12). The keys are sip.trunk.*.
type Trunk struct {
	Proxy       string        `yaml:"proxy" doc:"Outbound proxy of calls out (ACD callbacks, ticket return visits): the carrier's or SBC's SIP host:port; every INVITE out goes there. Empty: no calls out."`
	Transport   string        `yaml:"transport" doc:"Transport toward the trunk: udp or tcp."`
	Domain      string        `yaml:"domain" doc:"Host of the called number's SIP URI and of our From; empty: the proxy's host."`
	User        string        `yaml:"user" doc:"Digest user name the trunk challenges calls out for (401/407); empty: the from number."`
	Password    string        `yaml:"password" doc:"Digest password of the trunk account." secret:"true"`
	From        string        `yaml:"from" doc:"Our calling number on calls out (the From user the customer sees). Required with a proxy."`
	DialPlan    []string      `yaml:"dial_plan" doc:"Numbers calls out may reach: Go regular expressions, each matched against the whole number (spaces, dashes and +86 removed). Any other number is refused, and only the system and signed-in agents originate: no toll fraud through the IVR or an unknown peer. In the environment and on the command line the list is comma-separated, so write {7}|{8}-style alternatives there instead of {7,8}; an empty list refuses every number."`
	RingTimeout time.Duration `yaml:"ring_timeout" doc:"How long a called customer's phone may ring before the call out gives up."`
	// Callbacks owed are kept in the store over a restart; these say how
	// often a customer who does not answer is called.
	CallbackAttempts      int           `yaml:"callback_attempts" doc:"How many times an ACD callback calls a customer who does not answer (busy, no answer, unreachable), each attempt queued again in the callback's queue; 1: no retry."`
	CallbackRetryInterval time.Duration `yaml:"callback_retry_interval" doc:"How long after an attempt the customer did not answer the next attempt of a callback is queued."`
}
