package main

// The user directory of the vCenter test double: directory users and groups
// that RetrieveUserGroups finds (search string, exact match, users and/or
// groups, one SSO domain, and a cap on the number of results as a large
// vCenter directory has), directory users that can log in with their own
// password, and a control to add, rename and remove entries while it runs:
//
//	GET  /control/directory   {"domain", "limit", "entries": [...], "logins": N}
//	POST /control/directory   {"add": [{"principal", "full_name", "group",
//	                           "password"}], "rename": [{"from", "to",
//	                           "full_name"}], "remove": ["principal", ...],
//	                           "limit": N}
//
// The simulator's own directory answers a fixed list and compares only the
// user it was started with at Login, so this directory replaces the first
// and a front handler checks directory users' passwords before the second.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"io/ioutil"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const directoryDomain = "vsphere.local"

type dirEntry struct {
	Principal string `json:"principal"`
	FullName  string `json:"full_name"`
	Group     bool   `json:"group"`
	Password  string `json:"password,omitempty"`
}

// directory is shared by the UserDirectory object and the login check.
var directory struct {
	sync.Mutex
	entries []*dirEntry
	limit   int
	logins  int64
}

// Directory must embed the mo type as its first field.
type Directory struct {
	mo.UserDirectory
}

func directoryPassword(i int) string {
	return fmt.Sprintf("Directory-Pass-%d", i)
}

// installDirectory fills the directory (user1..userN with the password
// Directory-Pass-N, group1..groupM) and replaces the simulator's.
func installDirectory(users, groups, limit int) error {
	directory.entries = nil
	for i := 1; i <= users; i++ {
		directory.entries = append(directory.entries, &dirEntry{
			Principal: fmt.Sprintf("user%d", i),
			FullName:  fmt.Sprintf("Directory User %d", i),
			Password:  directoryPassword(i),
		})
	}
	for i := 1; i <= groups; i++ {
		directory.entries = append(directory.entries, &dirEntry{
			Principal: fmt.Sprintf("group%d", i),
			FullName:  fmt.Sprintf("Directory Group %d", i),
			Group:     true,
		})
	}
	directory.limit = limit
	content := simulator.Map.Get(vimServiceInstance()).(*simulator.ServiceInstance).Content
	if content.UserDirectory == nil {
		return fmt.Errorf("the service content has no userDirectory reference")
	}
	d := &Directory{}
	d.Self = *content.UserDirectory
	d.DomainList = []string{strings.ToUpper(directoryDomain)}
	simulator.Map.Put(d)
	return nil
}

// RetrieveUserGroups answers at most the directory's limit of entries, as
// vCenter does; a caller with more to find narrows its search string.
func (d *Directory) RetrieveUserGroups(req *types.RetrieveUserGroups) soap.HasFault {
	body := new(methods.RetrieveUserGroupsBody)
	if req.Domain != "" && !strings.EqualFold(req.Domain, directoryDomain) {
		body.Fault_ = simulator.Fault("The object or item referred to could not be found.",
			&types.NotFound{})
		return body
	}
	search := strings.ToLower(req.SearchStr)
	res := []types.BaseUserSearchResult{}
	directory.Lock()
	for _, e := range directory.entries {
		if e.Group && !req.FindGroups || !e.Group && !req.FindUsers {
			continue
		}
		name := strings.ToLower(e.Principal)
		if req.ExactMatch && name != search || !req.ExactMatch && !strings.Contains(name, search) {
			continue
		}
		if len(res) >= directory.limit {
			break
		}
		res = append(res, &types.UserSearchResult{Principal: e.Principal, FullName: e.FullName, Group: e.Group})
	}
	directory.Unlock()
	body.Res = &types.RetrieveUserGroupsResponse{Returnval: res}
	return body
}

// splitUser gives the principal of "user", "user@domain" or "DOMAIN\user",
// or "" when the domain is not the directory's.
func splitUser(name string) string {
	if i := strings.IndexByte(name, '\\'); i >= 0 {
		if !strings.EqualFold(name[:i], directoryDomain) && !strings.EqualFold(name[:i], "vsphere") {
			return ""
		}
		return name[i+1:]
	}
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		if !strings.EqualFold(name[i+1:], directoryDomain) {
			return ""
		}
		return name[:i]
	}
	return name
}

// directoryLogin is the user entry a Login names with its right password.
func directoryLogin(user, password string) *dirEntry {
	p := splitUser(user)
	if p == "" {
		return nil
	}
	directory.Lock()
	defer directory.Unlock()
	for _, e := range directory.entries {
		if !e.Group && strings.EqualFold(e.Principal, p) && e.Password != "" && e.Password == password {
			return e
		}
	}
	return nil
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// directoryLogins passes SOAP requests on; a Login of a directory user with
// the right password is passed on as the simulator's own user (whose
// password the simulator checks) and answered with the directory user's
// name. Any other Login, right or wrong, reaches the simulator unchanged.
func directoryLogins(next http.Handler, admin, adminPassword string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, ok := soapCall(w, r)
		if !ok {
			return
		}
		if method == nil || method.Name != "Login" {
			next.ServeHTTP(w, r)
			return
		}
		req, ok := method.Body.(*types.Login)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if strings.EqualFold(req.UserName, admin) {
			// The account's password as changed by POST
			// /control/password: the simulator still checks the one
			// it started with.
			if current := adminPasswordNow(); current != adminPassword {
				pw := ""
				if req.Password == current {
					pw = adminPassword
				}
				setBody(r, loginBody(req.This.Value, req.UserName, pw))
			}
			next.ServeHTTP(w, r)
			return
		}
		e := directoryLogin(req.UserName, req.Password)
		if e == nil {
			next.ServeHTTP(w, r)
			return
		}
		atomic.AddInt64(&directory.logins, 1)
		swapped := loginBody(req.This.Value, admin, adminPassword)
		r.Body = ioutil.NopCloser(strings.NewReader(swapped))
		r.ContentLength = int64(len(swapped))
		r.Header.Set("Content-Length", strconv.Itoa(len(swapped)))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		out := bytes.Replace(rec.Body.Bytes(), []byte("<userName>"+xmlEscape(admin)+"</userName>"),
			[]byte("<userName>"+xmlEscape(req.UserName)+"</userName>"), 1)
		relay(w, rec, out)
	})
}

// loginBody is a SessionManager.Login request.
func loginBody(this, user, password string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` +
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">` +
		`<soapenv:Body><Login xmlns="urn:vim25"><_this type="SessionManager">` +
		xmlEscape(this) + `</_this><userName>` + xmlEscape(user) +
		`</userName><password>` + xmlEscape(password) + `</password></Login>` +
		`</soapenv:Body></soapenv:Envelope>`
}

// setBody replaces the body of request r.
func setBody(r *http.Request, body string) {
	r.Body = ioutil.NopCloser(strings.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
}

type directoryChange struct {
	Add    []dirEntry `json:"add"`
	Rename []struct {
		From     string  `json:"from"`
		To       string  `json:"to"`
		FullName *string `json:"full_name"`
	} `json:"rename"`
	Remove []string `json:"remove"`
	Limit  *int     `json:"limit"`
}

func findEntry(principal string) int {
	for i, e := range directory.entries {
		if strings.EqualFold(e.Principal, principal) {
			return i
		}
	}
	return -1
}

func validPrincipal(p string) bool {
	if p == "" || len(p) > 256 {
		return false
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f || c == '\\' || c == '@' {
			return false
		}
	}
	return true
}

// applyDirectory makes every change or none.
func applyDirectory(c *directoryChange) error {
	directory.Lock()
	defer directory.Unlock()
	entries := make([]*dirEntry, len(directory.entries))
	for i, e := range directory.entries {
		x := *e
		entries[i] = &x
	}
	saved := directory.entries
	directory.entries = entries
	fail := func(format string, a ...interface{}) error {
		directory.entries = saved
		return fmt.Errorf(format, a...)
	}
	for _, a := range c.Add {
		if !validPrincipal(a.Principal) {
			return fail("add: principal %q is not valid", a.Principal)
		}
		if findEntry(a.Principal) >= 0 {
			return fail("add: %q exists", a.Principal)
		}
		x := a
		directory.entries = append(directory.entries, &x)
	}
	for _, r := range c.Rename {
		i := findEntry(r.From)
		if i < 0 {
			return fail("rename: no entry %q", r.From)
		}
		if r.To != "" {
			if !validPrincipal(r.To) {
				return fail("rename: principal %q is not valid", r.To)
			}
			if j := findEntry(r.To); j >= 0 && j != i {
				return fail("rename: %q exists", r.To)
			}
			directory.entries[i].Principal = r.To
		}
		if r.FullName != nil {
			directory.entries[i].FullName = *r.FullName
		}
	}
	for _, p := range c.Remove {
		i := findEntry(p)
		if i < 0 {
			return fail("remove: no entry %q", p)
		}
		directory.entries = append(directory.entries[:i], directory.entries[i+1:]...)
	}
	if c.Limit != nil {
		if *c.Limit < 1 {
			return fail("limit must be at least 1")
		}
		directory.limit = *c.Limit
	}
	return nil
}

// controlDirectory reads or changes the directory.
func controlDirectory(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var c directoryChange
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			http.Error(w, "the body must be a JSON object: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := applyDirectory(&c); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	directory.Lock()
	out := map[string]interface{}{
		"domain":  directoryDomain,
		"limit":   directory.limit,
		"entries": directory.entries,
		"logins":  atomic.LoadInt64(&directory.logins),
	}
	line, err := json.Marshal(out)
	directory.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(line, '\n'))
}
