package main

// Paged retrieval for the vCenter test double's PropertyCollector.
// The simulator version in use ignores RetrieveOptions.maxObjects and has no
// ContinueRetrievePropertiesEx, so this collector replaces the plain one in
// the registry: RetrievePropertiesEx answers at most maxObjects objects and a
// token when more are left; ContinueRetrievePropertiesEx(token) answers the
// next page (the last one without a token); CancelRetrievePropertiesEx(token)
// drops the rest. A token is known only to the collector that gave it (the
// simulator keeps one copy of the root collector per session); any other
// token is an InvalidArgument fault, as on vCenter. The simulator's
// dispatcher still refuses Continue and Cancel without a session.

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// PagingCollector must embed the simulator's collector as its first field:
// the simulator digs the mo type out of the first field, and makes each
// session's copy of the root collector with the registered object's type.
type PagingCollector struct {
	simulator.PropertyCollector

	pagesMu sync.Mutex
	pages   map[string]*pendingResult
}

type pendingResult struct {
	size int
	rest []types.ObjectContent
}

var (
	tokenCounter uint64
	pagingStats  struct {
		retrieve, paged, next, cancel int64
	}
)

func installPagingCollector() error {
	content := simulator.Map.Get(vimServiceInstance()).(*simulator.ServiceInstance).Content
	pc := &PagingCollector{}
	pc.Self = content.PropertyCollector
	simulator.Map.Put(pc)
	return nil
}

// page takes the first size objects of objs; the rest, if any, is kept
// under a new token.
func (pc *PagingCollector) page(objs []types.ObjectContent, size int) types.RetrieveResult {
	if len(objs) <= size {
		return types.RetrieveResult{Objects: objs}
	}
	token := fmt.Sprintf("paging-%d", atomic.AddUint64(&tokenCounter, 1))
	pc.pagesMu.Lock()
	if pc.pages == nil {
		pc.pages = make(map[string]*pendingResult)
	}
	pc.pages[token] = &pendingResult{size: size, rest: objs[size:]}
	pc.pagesMu.Unlock()
	return types.RetrieveResult{Token: token, Objects: objs[:size]}
}

func (pc *PagingCollector) take(token string) *pendingResult {
	pc.pagesMu.Lock()
	defer pc.pagesMu.Unlock()
	p := pc.pages[token]
	delete(pc.pages, token)
	return p
}

func (pc *PagingCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	atomic.AddInt64(&pagingStats.retrieve, 1)
	if r.Options.MaxObjects < 0 {
		return &methods.RetrievePropertiesExBody{Fault_: invalidArgument("options.maxObjects")}
	}
	res := pc.PropertyCollector.RetrievePropertiesEx(ctx, r)
	body, ok := res.(*methods.RetrievePropertiesExBody)
	size := int(r.Options.MaxObjects)
	if !ok || body.Res == nil || body.Res.Returnval == nil || size == 0 ||
		len(body.Res.Returnval.Objects) <= size {
		return res
	}
	atomic.AddInt64(&pagingStats.paged, 1)
	result := pc.page(body.Res.Returnval.Objects, size)
	body.Res.Returnval = &result
	return body
}

func (pc *PagingCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	atomic.AddInt64(&pagingStats.next, 1)
	body := &methods.ContinueRetrievePropertiesExBody{}
	p := pc.take(r.Token)
	if p == nil {
		body.Fault_ = invalidArgument("token")
		return body
	}
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: pc.page(p.rest, p.size)}
	return body
}

func (pc *PagingCollector) CancelRetrievePropertiesEx(ctx *simulator.Context, r *types.CancelRetrievePropertiesEx) soap.HasFault {
	atomic.AddInt64(&pagingStats.cancel, 1)
	body := &methods.CancelRetrievePropertiesExBody{}
	if pc.take(r.Token) == nil {
		body.Fault_ = invalidArgument("token")
		return body
	}
	body.Res = &types.CancelRetrievePropertiesExResponse{}
	return body
}

// CreatePropertyCollector makes further collectors that page too.
func (pc *PagingCollector) CreatePropertyCollector(ctx *simulator.Context, c *types.CreatePropertyCollector) soap.HasFault {
	cpc := &PagingCollector{}
	cpc.Self.Type = "PropertyCollector"
	return &methods.CreatePropertyCollectorBody{
		Res: &types.CreatePropertyCollectorResponse{Returnval: ctx.Session.Put(cpc).Reference()},
	}
}

// pagingCounts is what GET /control/paging shows: how many calls of each
// kind the collectors answered since the start, and how many
// RetrievePropertiesEx answers were cut into pages.
func pagingCounts() map[string]int64 {
	return map[string]int64{
		"RetrievePropertiesEx":         atomic.LoadInt64(&pagingStats.retrieve),
		"paged":                        atomic.LoadInt64(&pagingStats.paged),
		"ContinueRetrievePropertiesEx": atomic.LoadInt64(&pagingStats.next),
		"CancelRetrievePropertiesEx":   atomic.LoadInt64(&pagingStats.cancel),
	}
}
