// vcenter-double: a stand-in for a vCenter server, for tests and demos.
//
// It runs the vSphere simulator (vCenter model) over HTTPS on a loopback
// port, with one user account, a given number of virtual machines and of
// directory users, an ExtensionManager for plugin registration, and a
// clock offset for ServiceInstance.CurrentTime that can be changed while it
// runs, and a PropertyCollector that pages RetrievePropertiesEx answers by
// RetrieveOptions.maxObjects (ContinueRetrievePropertiesEx,
// CancelRetrievePropertiesEx):
//
//	POST /control/clock?offset=SECONDS   set the offset (may be negative)
//	GET  /control/clock                  {"offset":SECONDS}
//	GET  /control/paging                 calls answered by the collectors
//	GET  /control/directory              the user directory (directory.go)
//	POST /control/directory              add, rename, remove entries
//	/control/hang, /control/certificate, /control/password: faults.go
//
// Directory users user1..userN log in with the password Directory-Pass-N.
//
// On start it prints one JSON line to stdout (url, certificate thumbprints,
// user, password, certificate file), then serves until SIGTERM or SIGINT.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"flag"
	"fmt"
	"hash"
	"io"
	"io/ioutil"
	"log"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// offsetNanos is the clock offset applied to CurrentTime, in nanoseconds.
var offsetNanos int64

func clockOffset() time.Duration {
	return time.Duration(atomic.LoadInt64(&offsetNanos))
}

func setClockOffset(seconds float64) error {
	if math.IsNaN(seconds) || math.IsInf(seconds, 0) || math.Abs(seconds) > 100*365*86400 {
		return fmt.Errorf("offset out of range")
	}
	atomic.StoreInt64(&offsetNanos, int64(seconds*1e9))
	return nil
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("vcenter-double: ")

	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 0, "port to listen on (0: a free one)")
	user := flag.String("user", "administrator@vsphere.local", "login user name")
	password := flag.String("password", "Double-Pass-1234", "login password")
	vms := flag.Int("vms", 4, "number of virtual machines")
	users := flag.Int("users", 3, "number of directory users (user1..userN)")
	groups := flag.Int("groups", 0, "number of directory groups (group1..groupN)")
	dirLimit := flag.Int("directory-limit", 2000, "most entries one RetrieveUserGroups answers")
	offset := flag.Float64("clock-offset", 0, "seconds added to CurrentTime")
	certFile := flag.String("cert", "", "PEM certificate to serve (default: a new self-signed one)")
	keyFile := flag.String("key", "", "PEM private key for --cert")
	certOut := flag.String("cert-out", "", "where to write the served certificate (default: a temporary file)")
	flag.Parse()

	if flag.NArg() != 0 || *vms < 0 || *users < 0 || *groups < 0 || *dirLimit < 1 || *user == "" || *password == "" ||
		(*certFile == "") != (*keyFile == "") {
		flag.Usage()
		os.Exit(2)
	}
	if err := setClockOffset(*offset); err != nil {
		log.Fatalf("--clock-offset: %v", err)
	}

	// Die with the process that started us, so a crashed test leaves
	// nothing behind.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
	if os.Getppid() == 1 {
		os.Exit(1)
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()

	var cert tls.Certificate
	if *certFile != "" {
		cert, err = tls.LoadX509KeyPair(*certFile, *keyFile)
	} else {
		cert, err = selfSigned(*host)
	}
	if err != nil {
		log.Fatalf("certificate: %v", err)
	}

	tmp, err := ioutil.TempDir("", "vcenter-double-")
	if err != nil {
		log.Fatalf("temporary directory: %v", err)
	}
	defer os.RemoveAll(tmp)
	certPath := *certOut
	if certPath == "" {
		certPath = filepath.Join(tmp, "cert.pem")
	}
	if err := writeCert(certPath, cert.Certificate); err != nil {
		os.RemoveAll(tmp)
		log.Fatalf("write certificate: %v", err)
	}

	served.cert, served.host, served.path = &cert, *host, certPath
	startPassword = *password
	adminPass.Store(*password)

	model, err := createModel(*vms, *users, *groups, *dirLimit, tmp)
	if err != nil {
		os.RemoveAll(tmp)
		log.Fatalf("model: %v", err)
	}
	defer model.Remove()

	service := model.Service
	service.Listen = &url.URL{
		Scheme: "https",
		Host:   addr,
		Path:   simulator.Map.Path,
		User:   url.UserPassword(*user, *password),
	}
	service.RegisterSDK(simulator.Map)
	service.ServeMux.HandleFunc(simulator.Map.Path+"/vimServiceVersions.xml", service.ServiceVersions)
	service.ServeMux.HandleFunc("/about", service.About)
	simulator.Map.SessionManager().ServiceHostName = addr
	der := cert.Certificate[0]
	simulator.Map.SessionManager().TLSCert = func() string {
		return base64.StdEncoding.EncodeToString(der)
	}

	front := http.NewServeMux()
	front.HandleFunc("/control/clock", controlClock)
	front.HandleFunc("/control/paging", controlPaging)
	front.HandleFunc("/control/directory", controlDirectory)
	front.HandleFunc("/control/hang", controlHang)
	front.HandleFunc("/control/certificate", controlCertificate)
	front.HandleFunc("/control/password", controlPassword)
	front.Handle(simulator.Map.Path, hangGate(directoryLogins(currentTime(service.ServeMux), *user, *password)))
	front.Handle("/", service.ServeMux)

	server := &http.Server{
		Handler: front,
		TLSConfig: &tls.Config{
			GetCertificate: servedCertificate,
			MinVersion:   tls.VersionTLS12,
			ClientAuth:   tls.RequestClientCert,
		},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(os.Stderr, "vcenter-double: ", 0),
	}

	done := make(chan error, 1)
	go func() { done <- server.ServeTLS(ln, "", "") }()

	info := map[string]string{
		"url":        (&url.URL{Scheme: "https", Host: addr, Path: simulator.Map.Path}).String(),
		"thumbprint": thumbprint(sha256.New, der),
		"sha1":       thumbprint(sha1.New, der),
		"user":       *user,
		"password":   *password,
		"cert":       certPath,
	}
	line, _ := json.Marshal(info)
	fmt.Println(string(line))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-stop:
	case err := <-done:
		log.Printf("serve: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = server.Shutdown(ctx)
}

// createModel builds the vCenter inventory: one datacenter with one cluster
// of two hosts whose root resource pool holds exactly vms machines.
func createModel(vms, users, groups, dirLimit int, tmp string) (*simulator.Model, error) {
	dir := []*types.UserSearchResult{}
	for i := 1; i <= users; i++ {
		dir = append(dir, &types.UserSearchResult{
			Principal: fmt.Sprintf("user%d", i),
			FullName:  fmt.Sprintf("Directory User %d", i),
		})
	}
	for i := 1; i <= groups; i++ {
		dir = append(dir, &types.UserSearchResult{
			Principal: fmt.Sprintf("group%d", i),
			FullName:  fmt.Sprintf("Directory Group %d", i),
			Group:     true,
		})
	}
	simulator.DefaultUserGroup = dir

	// The simulator keeps the datastore's files in a temporary directory.
	os.Setenv("TMPDIR", tmp)

	model := simulator.VPX()
	model.Host = 0
	model.Cluster = 1
	model.ClusterHost = 2
	model.Pool = 0
	model.Machine = vms
	if err := model.Create(); err != nil {
		model.Remove()
		return nil, err
	}
	if err := installExtensionManager(); err != nil {
		model.Remove()
		return nil, err
	}
	if err := installDirectory(users, groups, dirLimit); err != nil {
		model.Remove()
		return nil, err
	}
	if err := installPagingCollector(); err != nil {
		model.Remove()
		return nil, err
	}
	if n := model.Count().Machine; n != vms {
		model.Remove()
		return nil, fmt.Errorf("created %d machines, not %d", n, vms)
	}
	return model, nil
}

// controlClock reads or sets the CurrentTime offset.
func controlClock(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		v := r.URL.Query().Get("offset")
		if v == "" {
			_ = r.ParseForm()
			v = r.PostForm.Get("offset")
		}
		seconds, err := strconv.ParseFloat(v, 64)
		if err == nil {
			err = setClockOffset(seconds)
		}
		if err != nil {
			http.Error(w, "offset must be a number of seconds", http.StatusBadRequest)
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"offset\":%s}\n", strconv.FormatFloat(clockOffset().Seconds(), 'f', -1, 64))
}

// controlPaging shows the paging counters (pagingCounts).
func controlPaging(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(pagingCounts())
}

// currentTime passes SOAP requests to the simulator; a successful
// ServiceInstance.CurrentTime answer gets its time moved by the offset.
// The simulator still decides everything else (session, faults).
func currentTime(sdk http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, ok := soapCall(w, r)
		if !ok {
			return
		}
		if method == nil || method.Name != "CurrentTime" || method.This.Type != "ServiceInstance" {
			sdk.ServeHTTP(w, r)
			return
		}
		now := time.Now().Add(clockOffset()).UTC()
		rec := httptest.NewRecorder()
		sdk.ServeHTTP(rec, r)
		out := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			if old, ok := returnval(out); ok {
				out = bytes.Replace(out, []byte(">"+old+"<"),
					[]byte(">"+now.Format(time.RFC3339Nano)+"<"), 1)
			}
		}
		relay(w, rec, out)
	})
}

// soapCall reads a POST's body (at most 64 MiB), puts it back for the next
// handler and decodes the SOAP method it calls: nil for another request or
// a body that is no SOAP call.  false: the body could not be read (answered).
func soapCall(w http.ResponseWriter, r *http.Request) (*simulator.Method, bool) {
	if r.Method != http.MethodPost {
		return nil, true
	}
	body, err := ioutil.ReadAll(io.LimitReader(r.Body, 64<<20))
	_ = r.Body.Close()
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return nil, false
	}
	r.Body = ioutil.NopCloser(bytes.NewReader(body))
	method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
	if err != nil {
		return nil, true
	}
	return method, true
}

// relay answers with a recorded answer's status and headers and body out.
func relay(w http.ResponseWriter, rec *httptest.ResponseRecorder, out []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(out)
}

// returnval gives the text of the first <returnval> element of a response.
func returnval(doc []byte) (string, bool) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			return "", false
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "returnval" {
			var s string
			if d.DecodeElement(&s, &se) != nil {
				return "", false
			}
			return s, true
		}
	}
}

// selfSigned makes a new certificate for host (and localhost), valid for a
// year; each run has its own, so thumbprint pinning can be tested.
func selfSigned(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host, Organization: []string{"vCenter test double"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	if host != "127.0.0.1" {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP("127.0.0.1"))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func writeCert(path string, chain [][]byte) error {
	var buf bytes.Buffer
	for _, der := range chain {
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: der}); err != nil {
			return err
		}
	}
	return ioutil.WriteFile(path, buf.Bytes(), 0o644)
}

// thumbprint is a certificate digest as vSphere shows it: upper-case hex
// bytes separated by colons.
func thumbprint(h func() hash.Hash, der []byte) string {
	d := h()
	d.Write(der)
	sum := d.Sum(nil)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
