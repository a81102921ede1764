package main

// Faults of the vCenter test double that a test switches on and off while
// it runs:
//
//	POST /control/hang?on=1|0        SOAP requests are accepted and not
//	                                 answered while on (answered when
//	                                 turned off, unless the caller left)
//	GET  /control/hang               {"on": BOOL, "waiting": N}
//	POST /control/certificate        serve a new self-signed certificate
//	                                 from now on (also written over the
//	                                 certificate file the start line named)
//	GET  /control/certificate        {"thumbprint": SHA-256, "cert": FILE}
//	POST /control/password?password=P  the service account's password is
//	                                 P from now on (the start one again:
//	                                 back to it)
//	GET  /control/password           {"changed": BOOL}

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

var hang struct {
	sync.Mutex
	on      bool
	release chan struct{}
	waiting int64
}

func setHang(on bool) {
	hang.Lock()
	defer hang.Unlock()
	if on && !hang.on {
		hang.release = make(chan struct{})
	} else if !on && hang.on {
		close(hang.release)
	}
	hang.on = on
}

// hangGate holds requests while the hang is on.
func hangGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hang.Lock()
		on, release := hang.on, hang.release
		hang.Unlock()
		if on {
			atomic.AddInt64(&hang.waiting, 1)
			select {
			case <-release:
			case <-r.Context().Done():
				atomic.AddInt64(&hang.waiting, -1)
				return
			}
			atomic.AddInt64(&hang.waiting, -1)
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func onlyGetPost(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", "GET, POST")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func controlHang(w http.ResponseWriter, r *http.Request) {
	if !onlyGetPost(w, r) {
		return
	}
	if r.Method == http.MethodPost {
		on, err := strconv.ParseBool(r.URL.Query().Get("on"))
		if err != nil {
			http.Error(w, "on must be 1 or 0", http.StatusBadRequest)
			return
		}
		setHang(on)
	}
	hang.Lock()
	on := hang.on
	hang.Unlock()
	writeJSON(w, map[string]interface{}{"on": on, "waiting": atomic.LoadInt64(&hang.waiting)})
}

// The certificate served now, and where it is written.
var served struct {
	sync.Mutex
	cert *tls.Certificate
	host string
	path string
}

func servedCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	served.Lock()
	defer served.Unlock()
	return served.cert, nil
}

func controlCertificate(w http.ResponseWriter, r *http.Request) {
	if !onlyGetPost(w, r) {
		return
	}
	if r.Method == http.MethodPost {
		cert, err := selfSigned(served.host)
		if err == nil {
			err = writeCert(served.path, cert.Certificate)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		served.Lock()
		served.cert = &cert
		served.Unlock()
	}
	served.Lock()
	der := served.cert.Certificate[0]
	served.Unlock()
	writeJSON(w, map[string]string{"thumbprint": thumbprint(sha256.New, der), "cert": served.path})
}

var adminPass atomic.Value // string: the service account's password now

func adminPasswordNow() string {
	return adminPass.Load().(string)
}

func controlPassword(w http.ResponseWriter, r *http.Request) {
	if !onlyGetPost(w, r) {
		return
	}
	if r.Method == http.MethodPost {
		p := r.URL.Query().Get("password")
		if p == "" || len(p) > 256 {
			http.Error(w, "password must be 1 to 256 characters", http.StatusBadRequest)
			return
		}
		adminPass.Store(p)
	}
	writeJSON(w, map[string]bool{"changed": adminPasswordNow() != startPassword})
}

var startPassword string
