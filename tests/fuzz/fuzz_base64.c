/* fuzz_base64: strict, canonical base64 (base64.h). Properties: the
 * decoder takes exactly what a model of RFC 4648 with padding and zero
 * pad bits takes; whatever it takes re-encodes to the same text (one
 * encoding per value); encoding any bytes gives 4 * ceil(n / 3)
 * characters of the alphabet that decode back to the bytes. */
#include "fuzz.h"
#include "base64.h"

static int val(char c)
{
  const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const char *p = c ? strchr(a, c) : NULL;
  return p ? (int)(p - a) : -1;
}

static int model(const char *s, size_t n)
{
  if (n % 4) return 0;
  for (size_t i = 0; i < n; i += 4) {
    int last = i + 4 == n;
    for (size_t k = 0; k < 4; ++k) {
      int pad = s[i + k] == '=';
      if (pad && !(last && (k == 3 || (k == 2 && s[i + 3] == '=')))) return 0;
      if (!pad && val(s[i + k]) < 0) return 0;
    }
    if (last && s[i + 2] == '=' && (val(s[i + 1]) & 15)) return 0;
    if (last && s[i + 2] != '=' && s[i + 3] == '=' && (val(s[i + 2]) & 3)) return 0;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  sb dec = SB_INIT, enc = SB_INIT, back = SB_INIT;
  int r = b64_decode(&dec, s, size);
  FZ_MEM(r >= 0);
  FZ_CHECK(r == model(s, size));
  if (r) {
    FZ_CHECK(dec.len == size / 4 * 3 - (size && s[size - 1] == '=') - (size > 1 && s[size - 2] == '='));
    FZ_MEM(b64_encode(&enc, dec.s, dec.len));
    FZ_CHECK(enc.len == size && (!size || !memcmp(enc.s, s, size)));
  }
  enc.len = 0;
  FZ_MEM(b64_encode(&enc, data, size));
  FZ_CHECK(enc.len == (size + 2) / 3 * 4);
  for (size_t i = 0; i < enc.len; ++i) FZ_CHECK(val(enc.s[i]) >= 0 || enc.s[i] == '=');
  FZ_CHECK(b64_decode(&back, enc.s ? enc.s : "", enc.len) == 1);
  FZ_CHECK(back.len == size && (!size || !memcmp(back.s, data, size)));
  sb_free(&dec);
  sb_free(&enc);
  sb_free(&back);
  return 0;
}
