/* fuzz_msgwire: a queued message on its way out over SMTP DATA
 * (msgwire.h), checked against the DATA reader (smtpdata.h). The input
 * is a message as queued (LF line ends). Properties: the scan's wire
 * size bounds the stuffed size less the doubled dots (exactly, without
 * CRs); stuff_end refuses exactly the messages the scan calls partial;
 * no CR goes out but in CRLF; and a whole message, stuffed and
 * terminated, read back by smtpdata, is the message again, ending
 * exactly at the terminator (whatever the division into chunks on either
 * side), with its CRs as msgwire.h says: CRs right before an LF are part
 * of that line end, any other CR is a line end of its own. */
#include "fuzz.h"
#include "msgwire.h"
#include "smtpdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  uint32_t h = fz_hash(data, size);
  struct msgscan ms;
  struct stuffer st;
  sb wire = SB_INIT, back = SB_INIT;
  size_t off = 0, dots = 0;
  char *norm = malloc(size + 1);
  size_t nn = 0;
  FZ_MEM(norm);

  msgscan_init(&ms);
  stuff_init(&st);
  while (off < size) {
    size_t k = 1 + fz_next(&h) % 200;
    if (k > size - off) k = size - off;
    msgscan_feed(&ms, s + off, k);
    FZ_MEM(stuff_feed(&st, s + off, k, &wire));
    off += k;
  }
  /* the message as it should come back */
  for (size_t i = 0; i < size;) {
    if (s[i] != '\r') { norm[nn++] = s[i++]; continue; }
    size_t j = i;
    while (j < size && s[j] == '\r') ++j;
    if (j < size && s[j] == '\n') { norm[nn++] = '\n'; i = j + 1; }
    else for (; i < j; ++i) norm[nn++] = '\n';
  }
  for (size_t i = 0; i < nn; ++i)
    if (norm[i] == '.' && (i == 0 || norm[i - 1] == '\n')) ++dots;
  for (size_t i = 0; i < wire.len; ++i)
    if (wire.s[i] == '\r') FZ_CHECK(i + 1 < wire.len && wire.s[i + 1] == '\n');
  FZ_CHECK(ms.bytes == size);
  if (!memchr(s, '\r', size)) FZ_CHECK(msgscan_wiresize(&ms) == wire.len - dots);
  else FZ_CHECK(msgscan_wiresize(&ms) >= wire.len - dots);
  size_t body = wire.len;
  int e = stuff_end(&st, &wire);
  FZ_CHECK(e >= 0);
  FZ_CHECK(e == !msgscan_partial(&ms));
  FZ_CHECK(msgscan_partial(&ms) == (size && s[size - 1] != '\n'));
  if (!e) { FZ_CHECK(wire.len == body); goto out; }
  FZ_CHECK(wire.len == body + 3);

  /* back through the DATA reader */
  struct smtpdata d;
  smtpdata_init(&d, 0, NULL);
  off = 0;
  int rc = SD_MORE;
  while (off < wire.len && rc == SD_MORE) {
    size_t k = 1 + fz_next(&h) % 300, used;
    if (k > wire.len - off) k = wire.len - off;
    rc = smtpdata_feed(&d, wire.s + off, k, &used, &back);
    FZ_MEM(rc >= 0);
    off += used;
  }
  FZ_CHECK(rc == SD_END && off == wire.len);
  if (!d.fail) FZ_CHECK(back.len == nn && (!nn || !memcmp(back.s, norm, nn)));
out:
  free(norm);
  sb_free(&wire);
  sb_free(&back);
  return 0;
}
