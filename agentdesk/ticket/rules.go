package ticket

import "fmt"

// Rule routes new tickets automatically: the first rule whose non-empty
// selectors all match sends the ticket to Group (its pool), or straight to
// Assignee when set.
type Rule struct {
	Name     string `yaml:"name" json:"name"`
	Type     Type   `yaml:"type" json:"type,omitempty"`
	Category string `yaml:"category" json:"category,omitempty"`
	Region   string `yaml:"region" json:"region,omitempty"`
	Tier     Tier   `yaml:"tier" json:"tier,omitempty"`
	Group    string `yaml:"group" json:"group"`
	Assignee string `yaml:"assignee" json:"assignee,omitempty"`
}

func (r Rule) matches(t *Ticket) bool {
	return (r.Type == "" || r.Type == t.Type) &&
		(r.Category == "" || r.Category == t.Category) &&
		(r.Region == "" || r.Region == t.Region) &&
		(r.Tier == "" || r.Tier == t.Customer.Tier)
}

// route returns the first matching rule.
func route(rules []Rule, t *Ticket) (Rule, bool) {
	for _, r := range rules {
		if r.matches(t) {
			return r, true
		}
	}
	return Rule{}, false
}

func validateRules(rules []Rule) error {
	for i, r := range rules {
		at := fmt.Sprintf("rules[%d]", i)
		switch {
		case r.Name == "":
			return fmt.Errorf("%s.name: required", at)
		case r.Group == "":
			return fmt.Errorf("%s.group: required", at)
		case r.Type != "" && !r.Type.Valid():
			return fmt.Errorf("%s.type: unknown type %q", at, r.Type)
		case r.Tier != "" && !r.Tier.Valid():
			return fmt.Errorf("%s.tier: unknown tier %q", at, r.Tier)
		}
		if err := checkName("group", r.Group); err != nil {
			return fmt.Errorf("%s.%w", at, err)
		}
	}
	return nil
}
