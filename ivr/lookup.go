package ivr

import (
	"context"
	"errors"
	"sort"
)

// lookupOp is one self-service query a lookup node can make. Parameters
// are read from the variables named in the node's in: mapping (default:
// the variable of the parameter's own name); results are written to fixed
// variables, listed in docs/flows.md.
type lookupOp struct {
	params      []string
	selfService bool // success counts as self-service completed
	do          func(ctx context.Context, b Backend, args map[string]string) (map[string]any, error)
	verify      bool // runs in the runner (verify.go): send_code, check_code, verify_password
}

var lookupOps = map[string]lookupOp{
	"customer_by_ani": {params: []string{"ani"}, do: func(ctx context.Context, b Backend, a map[string]string) (map[string]any, error) {
		c, err := b.CustomerByANI(ctx, a["ani"])
		return customerVars(c), err
	}},
	"customer_by_account": {params: []string{"account"}, do: func(ctx context.Context, b Backend, a map[string]string) (map[string]any, error) {
		c, err := b.CustomerByAccount(ctx, a["account"])
		return customerVars(c), err
	}},
	"bill": {params: []string{"account"}, selfService: true, do: func(ctx context.Context, b Backend, a map[string]string) (map[string]any, error) {
		bill, err := b.Bill(ctx, a["account"])
		due := ""
		if !bill.Due.IsZero() {
			due = bill.Due.Format("2006-01-02")
		}
		return map[string]any{"balance": bill.Balance.String(), "bill": bill.Amount.String(), "bill_due": due}, err
	}},
	"points": {params: []string{"account"}, selfService: true, do: func(ctx context.Context, b Backend, a map[string]string) (map[string]any, error) {
		p, err := b.Points(ctx, a["account"])
		return map[string]any{"points": int(p)}, err
	}},
	"verify_password": {params: []string{"account", "password"}, verify: true},
	"send_code":       {params: []string{"phone"}, verify: true},
	"check_code":      {params: []string{"phone", "code"}, verify: true},
	"reset_password": {params: []string{"account", "password"}, selfService: true, do: func(ctx context.Context, b Backend, a map[string]string) (map[string]any, error) {
		return nil, b.ResetPassword(ctx, a["account"], a["password"])
	}},
}

func customerVars(c Customer) map[string]any {
	return map[string]any{"account": c.Account, "name": c.Name, "tier": c.Tier}
}

func lookupOpNames() []string {
	names := make([]string, 0, len(lookupOps))
	for n := range lookupOps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (ru *run) lookup(ctx context.Context, n *Node) (string, error) {
	op := lookupOps[n.Op]
	b := ru.r.cfg.Backend
	if b == nil {
		ru.log.Warn("ivr lookup without a backend", "node", n.Name, "op", n.Op)
		return n.Error, nil
	}
	args := make(map[string]string, len(op.params))
	for _, p := range op.params {
		v := p
		if mapped, ok := n.In[p]; ok {
			v = mapped
		}
		args[p] = str(ru.vars[v])
	}
	if accountDataOps[n.Op] && !ru.allowAccountData(args["account"]) {
		// Never without proof: the flow's unverified branch, else error.
		ru.log.Warn("ivr account data refused: customer not verified for the account", "node", n.Name, "op", n.Op,
			"verified_by", string(ru.verified))
		if n.Unverified != "" {
			return n.Unverified, nil
		}
		return n.Error, nil
	}
	var out map[string]any
	var err error
	if op.verify {
		out, err = ru.verifyOp(ctx, n, args)
	} else {
		out, err = op.do(ctx, b, args)
	}
	switch {
	case errors.Is(err, ErrNotFound) && n.NotFound != "":
		return n.NotFound, nil
	case err != nil:
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		ru.log.Warn("ivr lookup failed", "node", n.Name, "op", n.Op, "err", err)
		return n.Error, nil
	}
	for k, v := range out {
		ru.setVar(k, v, false)
	}
	if op.selfService {
		ru.selfService = true
		ru.emit(SelfServiceCompleted{Header: ru.head(), Node: n.Name, Op: n.Op})
	}
	return n.Next, nil
}
