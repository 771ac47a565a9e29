package notify

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// Settings is the delivery part of the configuration (a `notify:` section
// under `tickets:`). Adapters left empty are off: their messages end dead
// with "no … adapter configured", visible on the ticket.
type Settings struct {
	SMS struct {
		URL    string `yaml:"url" doc:"HTTP/JSON SMS gateway endpoint; empty: no SMS."`
		Token  string `yaml:"token" doc:"Bearer token for the gateway." secret:"true"`
		Sender string `yaml:"sender" doc:"Sender id or short code, e.g. 10000."`
	} `yaml:"sms"`
	SMTP struct {
		Addr     string `yaml:"addr" doc:"SMTP server host:port; empty: no e-mail."`
		From     string `yaml:"from" doc:"From address, e.g. '10000号 <noreply@example.cn>'."`
		Username string `yaml:"username" doc:"SMTP user (PLAIN auth over TLS); empty: no auth."`
		Password string `yaml:"password" doc:"SMTP password." secret:"true"`
	} `yaml:"smtp"`
	Webhooks []struct {
		Name   string   `yaml:"name" doc:"Subscriber name."`
		URL    string   `yaml:"url" doc:"Endpoint receiving POSTed ticket events."`
		Secret string   `yaml:"secret" doc:"HMAC-SHA256 key for X-Hotline-Signature." secret:"true"`
		Events []string `yaml:"events" doc:"Event kinds to send (ticket.created, ticket.closed, ...); empty: all."`
	} `yaml:"webhooks"`
}

// Validate checks the settings; errors name the key.
func (s Settings) Validate() error {
	for key, raw := range map[string]string{"sms.url": s.SMS.URL} {
		if raw != "" {
			if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("tickets.notify.%s: not an http(s) URL", key)
			}
		}
	}
	if s.SMTP.Addr != "" && s.SMTP.From == "" {
		return errors.New("tickets.notify.smtp.from: required with smtp.addr")
	}
	seen := map[string]bool{}
	for i, w := range s.Webhooks {
		u, err := url.Parse(w.URL)
		switch {
		case w.Name == "":
			return fmt.Errorf("tickets.notify.webhooks[%d].name: required", i)
		case seen[w.Name]:
			return fmt.Errorf("tickets.notify.webhooks[%d].name: %q given twice", i, w.Name)
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return fmt.Errorf("tickets.notify.webhooks[%d].url: not an http(s) URL", i)
		}
		seen[w.Name] = true
	}
	return nil
}

// Router builds the Notifier from the settings.
func (s Settings) Router() Router {
	var r Router
	if s.SMS.URL != "" {
		r.SMS = &SMSGateway{URL: s.SMS.URL, Token: s.SMS.Token, Sender: s.SMS.Sender}
	}
	if s.SMTP.Addr != "" {
		r.Email = &Mailer{Addr: s.SMTP.Addr, From: s.SMTP.From, Username: s.SMTP.Username, Password: s.SMTP.Password}
	}
	if len(s.Webhooks) > 0 {
		w := &Webhooks{Targets: map[string]WebhookTarget{}}
		for _, h := range s.Webhooks {
			w.Targets[h.Name] = WebhookTarget{URL: h.URL, Secret: h.Secret}
		}
		r.Webhook = w
	}
	return r
}

// Subscribers lists the webhook subscribers for ticket.Config.Webhooks.
func (s Settings) Subscribers() []ticket.Webhook {
	var out []ticket.Webhook
	for _, h := range s.Webhooks {
		out = append(out, ticket.Webhook{Name: h.Name, Events: h.Events})
	}
	return out
}
