/*
 * xml.c — the one way this project reads XML from outside and writes XML
 * of its own.  Reading: a size cap, no network, no external entities, no
 * DTD at all (a document that carries one is refused before any entity is
 * declared), libxml2's default depth and text limits (never the "huge"
 * option); elements are found by local name whatever their prefix.
 * Writing: a streaming writer where every text and attribute value goes
 * through the library's escaping, so no value is ever pasted into markup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include <openssl/crypto.h>

#include "outbound.h"

struct xml_writer {
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	int err;
};

/* Silences libxml2's default reporting to stderr. */
static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
xml_init_once(void)
{
	static int done;

	if (!done) {
		xmlInitParser();
		xmlSetGenericErrorFunc(NULL, quiet);
		done = 1;
	}
}

/*
 * SAX hook called when the document declares a DTD (internal subset or a
 * DOCTYPE line): stops the parse, so no entity is ever declared.
 */
static void
refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	xmlParserCtxtPtr p = ctx;

	(void)name;
	(void)ext;
	(void)sys;
	p->_private = (void *)1;
	xmlStopParser(p);
}

/*
 * Parse len bytes of outside XML into *out.  Returns 0 (the caller frees
 * *out with xml_free), CONN_ETOOBIG over max bytes (0: XML_MAX_DOC),
 * CONN_EINVAL for anything not well-formed or with a DTD, CONN_ENOMEM.
 */
int
xml_parse(const char *data, size_t len, size_t max, struct _xmlDoc **out)
{
	xmlParserCtxtPtr p;
	xmlDocPtr doc;
	int dtd;

	*out = NULL;
	if (max == 0)
		max = XML_MAX_DOC;
	if (len > max || len > (size_t)INT32_MAX)
		return CONN_ETOOBIG;
	if (len == 0 || data == NULL)
		return CONN_EINVAL;
	xml_init_once();
	if ((p = xmlNewParserCtxt()) == NULL)
		return CONN_ENOMEM;
	p->sax->internalSubset = refuse_dtd;
	p->_private = NULL;
	doc = xmlCtxtReadMemory(p, data, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_NOCDATA);
	dtd = p->_private != NULL;
	if (doc != NULL && (dtd || !p->wellFormed || doc->intSubset ||
	    xmlDocGetRootElement(doc) == NULL)) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(p);
	if (doc == NULL)
		return CONN_EINVAL;
	*out = doc;
	return 0;
}

void
xml_free(struct _xmlDoc *doc)
{
	if (doc)
		xmlFreeDoc(doc);
}

/* Wipe the text and attribute values below n (not the parser's shared
 * dictionary, which holds only names and strings under 4 bytes). */
static void
wipe_tree(xmlDocPtr doc, xmlNodePtr n)
{
	for (; n != NULL; n = n->next) {
		if (n->content && (doc->dict == NULL ||
		    !xmlDictOwns(doc->dict, n->content)))
			OPENSSL_cleanse(n->content, (size_t)xmlStrlen(n->content));
		if (n->type == XML_ELEMENT_NODE)
			for (xmlAttrPtr a = n->properties; a; a = a->next)
				wipe_tree(doc, a->children);
		wipe_tree(doc, n->children);
	}
}

/* Free a document that held secrets (temporary credentials), wiping its
 * text first. */
void
xml_free_wiped(struct _xmlDoc *doc)
{
	if (doc == NULL)
		return;
	wipe_tree(doc, doc->children);
	xmlFreeDoc(doc);
}

/* The document element, or NULL. */
struct _xmlNode *
xml_root(struct _xmlDoc *doc)
{
	return doc ? xmlDocGetRootElement(doc) : NULL;
}

/* The element's local name (no prefix); owned by the document. */
const char *
xml_name(const struct _xmlNode *n)
{
	return n ? (const char *)n->name : "";
}

/* 1 when n is an element named local (any namespace), or local is NULL. */
static int
is_elem(const xmlNode *n, const char *local)
{
	return n->type == XML_ELEMENT_NODE &&
	    (local == NULL || strcmp((const char *)n->name, local) == 0);
}

/* The first child element of parent named local (NULL: any), or NULL. */
struct _xmlNode *
xml_child(const struct _xmlNode *parent, const char *local)
{
	if (parent == NULL)
		return NULL;
	for (xmlNode *c = parent->children; c; c = c->next)
		if (is_elem(c, local))
			return c;
	return NULL;
}

/* The next sibling element of n named local (NULL: any), or NULL. */
struct _xmlNode *
xml_next(const struct _xmlNode *n, const char *local)
{
	if (n == NULL)
		return NULL;
	for (xmlNode *c = n->next; c; c = c->next)
		if (is_elem(c, local))
			return c;
	return NULL;
}

/*
 * The first descendant element of from named local, in document order
 * (from itself excluded), or NULL.  Iterative: the depth is the parser's
 * to limit, not the stack's.
 */
struct _xmlNode *
xml_find(const struct _xmlNode *from, const char *local)
{
	const xmlNode *n;

	if (from == NULL || (n = from->children) == NULL)
		return NULL;
	while (n) {
		if (is_elem(n, local))
			return (xmlNode *)n;
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n->next == NULL) {
			n = n->parent;
			if (n == NULL || n == from)
				return NULL;
		}
		n = n->next;
	}
	return NULL;
}

/*
 * The text of element n (its descendants' text and CDATA, concatenated; no
 * entity is expanded), as a new string the caller frees with free(); NULL
 * when n is NULL or memory ran out.  *len (optional) gets its length.
 */
char *
xml_text_dup(const struct _xmlNode *n, size_t *len)
{
	struct buf b = { 0 };
	const xmlNode *c;
	char *s;

	if (len)
		*len = 0;
	if (n == NULL)
		return NULL;
	c = n->children;
	while (c) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
		    && c->content && buf_adds(&b, (const char *)c->content)) {
			buf_free(&b);
			return NULL;
		}
		if (c->type == XML_ELEMENT_NODE && c->children) {
			c = c->children;
			continue;
		}
		while (c && c->next == NULL) {
			c = c->parent;
			if (c == n)
				c = NULL;
		}
		if (c)
			c = c->next;
	}
	if (b.data == NULL && (s = strdup("")) != NULL)
		return s;
	if (len)
		*len = b.len;
	return b.data;
}

/*
 * The text of element n copied into out (truncated to outlen - 1 bytes
 * at a UTF-8 boundary).  Returns 0, CONN_ENOTFOUND when n is NULL,
 * CONN_ETOOBIG when it was truncated (out still holds the prefix),
 * CONN_ENOMEM.
 */
int
xml_text(const struct _xmlNode *n, char *out, size_t outlen)
{
	size_t len, k;
	char *s;
	int rc = 0;

	if (outlen)
		out[0] = '\0';
	if (n == NULL)
		return CONN_ENOTFOUND;
	if ((s = xml_text_dup(n, &len)) == NULL)
		return CONN_ENOMEM;
	if (outlen == 0) {
		free(s);
		return len ? CONN_ETOOBIG : 0;
	}
	k = len;
	if (k >= outlen) {
		rc = CONN_ETOOBIG;
		k = outlen - 1;
		while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
	}
	memcpy(out, s, k);
	out[k] = '\0';
	free(s);
	return rc;
}

/*
 * The value of n's attribute named local (any namespace) copied into out.
 * Returns 0, CONN_ENOTFOUND when absent, CONN_ETOOBIG when truncated.
 */
int
xml_attr(const struct _xmlNode *n, const char *local, char *out,
    size_t outlen)
{
	if (outlen)
		out[0] = '\0';
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return CONN_ENOTFOUND;
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (strcmp((const char *)a->name, local) != 0)
			continue;
		return xml_text((const xmlNode *)a, out, outlen);
	}
	return CONN_ENOTFOUND;
}

/*
 * A new writer for one document (the XML declaration is written).
 * Returns it (free with xml_writer_free) or NULL when memory ran out.
 */
struct xml_writer *
xml_writer_new(void)
{
	struct xml_writer *w;

	xml_init_once();
	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	if ((w->buf = xmlBufferCreate()) == NULL ||
	    (w->w = xmlNewTextWriterMemory(w->buf, 0)) == NULL ||
	    xmlTextWriterStartDocument(w->w, NULL, "UTF-8", NULL) < 0) {
		xml_writer_free(w);
		return NULL;
	}
	return w;
}

void
xml_writer_free(struct xml_writer *w)
{
	if (w == NULL)
		return;
	if (w->w)
		xmlFreeTextWriter(w->w);
	/* The document may hold a password: wipe it. */
	if (w->buf) {
		if (xmlBufferLength(w->buf) > 0)
			util_wipe((void *)xmlBufferContent(w->buf),
			    (size_t)xmlBufferLength(w->buf));
		xmlBufferFree(w->buf);
	}
	free(w);
}

/*
 * Open element name ("prefix:local" allowed).  Like every writer call, a
 * failure is remembered and reported by xml_writer_finish.
 */
void
xml_start(struct xml_writer *w, const char *name)
{
	if (!w->err && xmlTextWriterStartElement(w->w, BAD_CAST name) < 0)
		w->err = 1;
}

/*
 * 1 when s can be written into an XML 1.0 document: valid UTF-8 without
 * control characters other than tab, line feed and carriage return.
 */
static int
writable(const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t' &&
		    s[i] != '\n' && s[i] != '\r')
			return 0;
	return util_utf8_valid(s, len);
}

/* Add an attribute (its value escaped) to the open element. */
void
xml_attr_add(struct xml_writer *w, const char *name, const char *value)
{
	if (!w->err && !writable(value))
		w->err = 1;
	if (!w->err && xmlTextWriterWriteAttribute(w->w, BAD_CAST name,
	    BAD_CAST value) < 0)
		w->err = 1;
}

/* Close the innermost open element. */
void
xml_end(struct xml_writer *w)
{
	if (!w->err && xmlTextWriterEndElement(w->w) < 0)
		w->err = 1;
}

/* Write escaped text into the open element. */
void
xml_text_add(struct xml_writer *w, const char *text)
{
	if (!w->err && !writable(text))
		w->err = 1;
	if (!w->err && xmlTextWriterWriteString(w->w, BAD_CAST text) < 0)
		w->err = 1;
}

/* <name>text</name>, text escaped; nothing at all when text is NULL. */
void
xml_elem(struct xml_writer *w, const char *name, const char *text)
{
	if (text == NULL)
		return;
	xml_start(w, name);
	xml_text_add(w, text);
	xml_end(w);
}

/*
 * Close every open element and append the document to out.  Returns 0,
 * CONN_EINVAL when a value was not valid UTF-8 or a call failed,
 * CONN_ENOMEM.  The writer is still the caller's to free.
 */
int
xml_writer_finish(struct xml_writer *w, struct buf *out)
{
	if (w->err || xmlTextWriterEndDocument(w->w) < 0)
		return CONN_EINVAL;
	if (xmlTextWriterFlush(w->w) < 0)
		return CONN_EINVAL;
	return buf_add(out, (const char *)xmlBufferContent(w->buf),
	    (size_t)xmlBufferLength(w->buf)) ? CONN_ENOMEM : 0;
}
