/*
 * fuzz-soap.c — the vSphere SOAP answer reader over arbitrary bytes: the
 * envelope and fault reader of lib/vsphere, as an answer to each call it
 * makes (with a success and an error status), then that call's own reader
 * on whatever was accepted.  Every result must keep the reader's promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/core.h"
#include "../../lib/domain.h"
#include "fuzz.h"

static const char *const methods[] = {
	"RetrieveServiceContent", "Login", "Logout", "CurrentTime",
	"RetrieveUserGroups", "CreateContainerView", "RetrievePropertiesEx",
	"ContinueRetrievePropertiesEx", "FindExtension", "RegisterExtension",
};

/* Printable text only: no control bytes reach logs or pages. */
static void
clean_text(const char *s)
{
	for (; *s; s++)
		INV((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static int
user_cb(void *arg, const struct vsphere_principal *p)
{
	INV(p->principal[0] != '\0');
	INV(memchr(p->principal, '\0', sizeof p->principal));
	INV(memchr(p->full_name, '\0', sizeof p->full_name));
	INV(p->group == 0 || p->group == 1);
	clean_text(p->principal);
	clean_text(p->full_name);
	return ++*(int *)arg > 1000;	/* stops a long list */
}

static int
vm_cb(void *arg, const struct vsphere_vm *vm)
{
	INV(vm->id[0] != '\0');
	clean_text(vm->id);
	clean_text(vm->name);
	clean_text(vm->power_state);
	return ++*(int *)arg > 1000;
}

static void
readers(const char *method, const struct _xmlNode *ret)
{
	struct vsphere vs;
	struct vsphere_extension ext;
	char token[256];
	time_t t;
	int n = 0, found, rc;

	if (strcmp(method, "RetrieveServiceContent") == 0) {
		memset(&vs, 0, sizeof vs);
		if (vsphere_read_service_content(&vs, ret) == 0) {
			INV(vs.root_folder.value[0] && vs.session_manager.type[0]);
			clean_text(vs.product);
			clean_text(vs.action);
		}
	} else if (strcmp(method, "CurrentTime") == 0) {
		rc = vsphere_read_time(ret, &t);
		INV(rc == 0 || rc == CONN_EINVAL);
	} else if (strcmp(method, "RetrieveUserGroups") == 0) {
		int entries = -1;
		rc = vsphere_read_users(ret, user_cb, &n, &entries);
		INV(rc == 0 || rc == CONN_EINVAL || rc == 1);
		INV(entries >= 0 && entries <= n);
		INV(rc != 0 || entries == n);
	} else if (strstr(method, "RetrievePropertiesEx") != NULL) {
		rc = vsphere_read_vms(ret, vm_cb, &n, token, sizeof token);
		INV(rc == 0 || rc == CONN_EINVAL || rc == 1);
		INV(strlen(token) < sizeof token);
	} else if (strcmp(method, "FindExtension") == 0) {
		rc = vsphere_read_extension(ret, &ext, &found);
		INV(rc == 0 || rc == CONN_EINVAL);
		if (rc == 0 && found) {
			INV(ext.key[0] != '\0');
			clean_text(ext.key);
			clean_text(ext.url);
			clean_text(ext.server_thumbprint);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 500 };
	const char *body = (const char *)data;
	struct vsphere_error err;
	struct _xmlDoc *doc;
	struct _xmlNode *ret;
	char s[64];
	time_t t;
	int rc;

	for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
		for (size_t k = 0; k < 2; k++) {
			memset(&err, 0xa5, sizeof err);
			rc = vsphere_answer(body, size, statuses[k], methods[m],
			    &doc, &ret, &err);
			if (rc == 0) {
				INV(doc != NULL && ret != NULL);
				INV(statuses[k] == 200);
				readers(methods[m], ret);
				xml_free(doc);
				continue;
			}
			INV(doc == NULL && ret == NULL);
			INV(err.kind == VSPHERE_E_FAULT ||
			    err.kind == VSPHERE_E_PROTOCOL);
			INV(memchr(err.message, '\0', sizeof err.message));
			clean_text(err.message);
			if (err.kind == VSPHERE_E_FAULT) {
				INV(err.fault != VSPHERE_FAULT_NONE);
				INV(err.fault_type[0] != '\0');
				clean_text(err.fault_type);
			} else
				INV(rc == CONN_EIO);
		}
	/* The date reader on the raw bytes, too. */
	if (size < sizeof s) {
		memcpy(s, data, size);
		s[size] = '\0';
		rc = vsphere_parse_time(s, &t);
		INV(rc == 0 || rc == CONN_EINVAL);
	}
	return 0;
}
