package main

// The ExtensionManager of the vCenter test double: plugin registration
// (RegisterExtension, UpdateExtension, UnregisterExtension, FindExtension)
// with the faults vCenter gives. The simulator version in use has none, so
// this object replaces the plain one the simulator keeps for the
// ServiceContent.extensionManager reference.

import (
	"fmt"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// ExtensionManager must embed the mo type as its first field: the
// simulator's PropertyCollector digs the properties out of it.
type ExtensionManager struct {
	mo.ExtensionManager
}

func installExtensionManager() error {
	content := simulator.Map.Get(vimServiceInstance()).(*simulator.ServiceInstance).Content
	if content.ExtensionManager == nil {
		return fmt.Errorf("the service content has no extensionManager reference")
	}
	m := &ExtensionManager{}
	m.Self = *content.ExtensionManager
	simulator.Map.Put(m)
	return nil
}

func vimServiceInstance() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}
}

func (m *ExtensionManager) find(key string) int {
	for i := range m.ExtensionList {
		if m.ExtensionList[i].Key == key {
			return i
		}
	}
	return -1
}

// changed tells property filters (WaitForUpdates) about the new list.
func (m *ExtensionManager) changed(ctx *simulator.Context) {
	list := append([]types.Extension(nil), m.ExtensionList...)
	ctx.Map.Update(m, []types.PropertyChange{{Name: "extensionList", Val: list}})
}

func invalidArgument(property string) *soap.Fault {
	return simulator.Fault("A specified parameter was not correct: "+property,
		&types.InvalidArgument{InvalidProperty: property})
}

func notFound() *soap.Fault {
	return simulator.Fault("The object or item referred to could not be found.",
		&types.NotFound{})
}

// check validates an extension as vCenter does: key and version are required,
// and every server entry needs url, company and type.
func check(e *types.Extension) *soap.Fault {
	if e.Key == "" {
		return invalidArgument("extension.key")
	}
	if e.Version == "" {
		return invalidArgument("extension.version")
	}
	for i := range e.Server {
		s := &e.Server[i]
		if s.Url == "" {
			return invalidArgument("extension.server.url")
		}
		if s.Type == "" {
			return invalidArgument("extension.server.type")
		}
		if s.Company == "" {
			return invalidArgument("extension.server.company")
		}
	}
	return nil
}

func stamp(e *types.Extension) {
	if e.LastHeartbeatTime.IsZero() {
		e.LastHeartbeatTime = time.Now().Add(clockOffset()).UTC()
	}
}

func (m *ExtensionManager) FindExtension(req *types.FindExtension) soap.HasFault {
	body := &methods.FindExtensionBody{Res: &types.FindExtensionResponse{}}
	if i := m.find(req.ExtensionKey); i >= 0 {
		e := m.ExtensionList[i]
		body.Res.Returnval = &e
	}
	return body
}

func (m *ExtensionManager) RegisterExtension(ctx *simulator.Context, req *types.RegisterExtension) soap.HasFault {
	body := &methods.RegisterExtensionBody{}
	e := req.Extension
	if f := check(&e); f != nil {
		body.Fault_ = f
		return body
	}
	if m.find(e.Key) >= 0 {
		// vCenter refuses a second registration of a key as a bad argument.
		body.Fault_ = invalidArgument("extension.key")
		return body
	}
	stamp(&e)
	m.ExtensionList = append(m.ExtensionList, e)
	m.changed(ctx)
	body.Res = &types.RegisterExtensionResponse{}
	return body
}

func (m *ExtensionManager) UpdateExtension(ctx *simulator.Context, req *types.UpdateExtension) soap.HasFault {
	body := &methods.UpdateExtensionBody{}
	e := req.Extension
	if f := check(&e); f != nil {
		body.Fault_ = f
		return body
	}
	i := m.find(e.Key)
	if i < 0 {
		body.Fault_ = notFound()
		return body
	}
	stamp(&e)
	m.ExtensionList[i] = e
	m.changed(ctx)
	body.Res = &types.UpdateExtensionResponse{}
	return body
}

func (m *ExtensionManager) UnregisterExtension(ctx *simulator.Context, req *types.UnregisterExtension) soap.HasFault {
	body := &methods.UnregisterExtensionBody{}
	i := m.find(req.ExtensionKey)
	if i < 0 {
		body.Fault_ = notFound()
		return body
	}
	m.ExtensionList = append(m.ExtensionList[:i], m.ExtensionList[i+1:]...)
	m.changed(ctx)
	body.Res = &types.UnregisterExtensionResponse{}
	return body
}
