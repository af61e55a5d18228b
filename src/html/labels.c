/* The WHATWG Encoding standard's encodings and labels (https://encoding.spec.whatwg.org/,
 * "Encodings" table), each with the standard's decoder and, for the single-byte ones, its
 * index (indexes.c). */
#include <string.h>

#include "common/content_type.h"
#include "html/encoding.h"
#include "html/indexes.h"

#define SINGLE(var, name, index)                                                                   \
    static const cafe__html_encoding_t var = {name, CAFE__ENC_SINGLE, CAFE__DEC_SINGLE,            \
                                              cafe__html_index_##index};
#define ENC(var, name, kind, dec)                                                                  \
    static const cafe__html_encoding_t var = {name, CAFE__ENC_##kind, CAFE__DEC_##dec, NULL};

SINGLE(e_ibm866, "IBM866", ibm866)
SINGLE(e_8859_2, "ISO-8859-2", iso_8859_2)
SINGLE(e_8859_3, "ISO-8859-3", iso_8859_3)
SINGLE(e_8859_4, "ISO-8859-4", iso_8859_4)
SINGLE(e_8859_5, "ISO-8859-5", iso_8859_5)
SINGLE(e_8859_6, "ISO-8859-6", iso_8859_6)
SINGLE(e_8859_7, "ISO-8859-7", iso_8859_7)
SINGLE(e_8859_8, "ISO-8859-8", iso_8859_8)
SINGLE(e_8859_8i, "ISO-8859-8-I", iso_8859_8)
SINGLE(e_8859_10, "ISO-8859-10", iso_8859_10)
SINGLE(e_8859_13, "ISO-8859-13", iso_8859_13)
SINGLE(e_8859_14, "ISO-8859-14", iso_8859_14)
SINGLE(e_8859_15, "ISO-8859-15", iso_8859_15)
SINGLE(e_8859_16, "ISO-8859-16", iso_8859_16)
SINGLE(e_koi8r, "KOI8-R", koi8_r)
SINGLE(e_koi8u, "KOI8-U", koi8_u)
SINGLE(e_mac, "macintosh", macintosh)
SINGLE(e_874, "windows-874", windows_874)
SINGLE(e_1250, "windows-1250", windows_1250)
SINGLE(e_1251, "windows-1251", windows_1251)
SINGLE(e_1253, "windows-1253", windows_1253)
SINGLE(e_1254, "windows-1254", windows_1254)
SINGLE(e_1255, "windows-1255", windows_1255)
SINGLE(e_1256, "windows-1256", windows_1256)
SINGLE(e_1257, "windows-1257", windows_1257)
SINGLE(e_1258, "windows-1258", windows_1258)
SINGLE(e_maccyr, "x-mac-cyrillic", x_mac_cyrillic)
ENC(e_gbk, "GBK", MULTI, GB18030)
ENC(e_gb18030, "gb18030", MULTI, GB18030)
ENC(e_big5, "Big5", MULTI, BIG5)
ENC(e_eucjp, "EUC-JP", MULTI, EUCJP)
ENC(e_iso2022jp, "ISO-2022-JP", WIDE, ISO2022JP)
ENC(e_sjis, "Shift_JIS", MULTI, SJIS)
ENC(e_euckr, "EUC-KR", MULTI, EUCKR)
ENC(e_replacement, "replacement", REPLACEMENT, REPLACEMENT)
ENC(e_user, "x-user-defined", USER, USER)

const cafe__html_encoding_t cafe__html_enc_utf8 = {"UTF-8", CAFE__ENC_UTF8, CAFE__DEC_UTF8, NULL};
const cafe__html_encoding_t cafe__html_enc_utf16le = {"UTF-16LE", CAFE__ENC_WIDE, CAFE__DEC_UTF16LE,
                                                      NULL};
const cafe__html_encoding_t cafe__html_enc_utf16be = {"UTF-16BE", CAFE__ENC_WIDE, CAFE__DEC_UTF16BE,
                                                      NULL};
const cafe__html_encoding_t cafe__html_enc_windows1252 = {
    "windows-1252", CAFE__ENC_SINGLE, CAFE__DEC_SINGLE, cafe__html_index_windows_1252};

static const cafe__html_encoding_t *const all[] = {
    &cafe__html_enc_utf8,
    &e_ibm866,
    &e_8859_2,
    &e_8859_3,
    &e_8859_4,
    &e_8859_5,
    &e_8859_6,
    &e_8859_7,
    &e_8859_8,
    &e_8859_8i,
    &e_8859_10,
    &e_8859_13,
    &e_8859_14,
    &e_8859_15,
    &e_8859_16,
    &e_koi8r,
    &e_koi8u,
    &e_mac,
    &e_874,
    &e_1250,
    &e_1251,
    &cafe__html_enc_windows1252,
    &e_1253,
    &e_1254,
    &e_1255,
    &e_1256,
    &e_1257,
    &e_1258,
    &e_maccyr,
    &e_gbk,
    &e_gb18030,
    &e_big5,
    &e_eucjp,
    &e_iso2022jp,
    &e_sjis,
    &e_euckr,
    &e_replacement,
    &cafe__html_enc_utf16be,
    &cafe__html_enc_utf16le,
    &e_user,
};

const cafe__html_encoding_t *cafe__html_encoding_at(size_t i) {
    return i < sizeof all / sizeof all[0] ? all[i] : NULL;
}

typedef struct label {
    const char *label;
    const cafe__html_encoding_t *enc;
} label_t;

static const label_t labels[] = {
    {"unicode-1-1-utf-8", &cafe__html_enc_utf8},
    {"unicode11utf8", &cafe__html_enc_utf8},
    {"unicode20utf8", &cafe__html_enc_utf8},
    {"utf-8", &cafe__html_enc_utf8},
    {"utf8", &cafe__html_enc_utf8},
    {"x-unicode20utf8", &cafe__html_enc_utf8},
    {"866", &e_ibm866},
    {"cp866", &e_ibm866},
    {"csibm866", &e_ibm866},
    {"ibm866", &e_ibm866},
    {"csisolatin2", &e_8859_2},
    {"iso-8859-2", &e_8859_2},
    {"iso-ir-101", &e_8859_2},
    {"iso8859-2", &e_8859_2},
    {"iso88592", &e_8859_2},
    {"iso_8859-2", &e_8859_2},
    {"iso_8859-2:1987", &e_8859_2},
    {"l2", &e_8859_2},
    {"latin2", &e_8859_2},
    {"csisolatin3", &e_8859_3},
    {"iso-8859-3", &e_8859_3},
    {"iso-ir-109", &e_8859_3},
    {"iso8859-3", &e_8859_3},
    {"iso88593", &e_8859_3},
    {"iso_8859-3", &e_8859_3},
    {"iso_8859-3:1988", &e_8859_3},
    {"l3", &e_8859_3},
    {"latin3", &e_8859_3},
    {"csisolatin4", &e_8859_4},
    {"iso-8859-4", &e_8859_4},
    {"iso-ir-110", &e_8859_4},
    {"iso8859-4", &e_8859_4},
    {"iso88594", &e_8859_4},
    {"iso_8859-4", &e_8859_4},
    {"iso_8859-4:1988", &e_8859_4},
    {"l4", &e_8859_4},
    {"latin4", &e_8859_4},
    {"csisolatincyrillic", &e_8859_5},
    {"cyrillic", &e_8859_5},
    {"iso-8859-5", &e_8859_5},
    {"iso-ir-144", &e_8859_5},
    {"iso8859-5", &e_8859_5},
    {"iso88595", &e_8859_5},
    {"iso_8859-5", &e_8859_5},
    {"iso_8859-5:1988", &e_8859_5},
    {"arabic", &e_8859_6},
    {"asmo-708", &e_8859_6},
    {"csiso88596e", &e_8859_6},
    {"csiso88596i", &e_8859_6},
    {"csisolatinarabic", &e_8859_6},
    {"ecma-114", &e_8859_6},
    {"iso-8859-6", &e_8859_6},
    {"iso-8859-6-e", &e_8859_6},
    {"iso-8859-6-i", &e_8859_6},
    {"iso-ir-127", &e_8859_6},
    {"iso8859-6", &e_8859_6},
    {"iso88596", &e_8859_6},
    {"iso_8859-6", &e_8859_6},
    {"iso_8859-6:1987", &e_8859_6},
    {"csisolatingreek", &e_8859_7},
    {"ecma-118", &e_8859_7},
    {"elot_928", &e_8859_7},
    {"greek", &e_8859_7},
    {"greek8", &e_8859_7},
    {"iso-8859-7", &e_8859_7},
    {"iso-ir-126", &e_8859_7},
    {"iso8859-7", &e_8859_7},
    {"iso88597", &e_8859_7},
    {"iso_8859-7", &e_8859_7},
    {"iso_8859-7:1987", &e_8859_7},
    {"sun_eu_greek", &e_8859_7},
    {"csiso88598e", &e_8859_8},
    {"csisolatinhebrew", &e_8859_8},
    {"hebrew", &e_8859_8},
    {"iso-8859-8", &e_8859_8},
    {"iso-8859-8-e", &e_8859_8},
    {"iso-ir-138", &e_8859_8},
    {"iso8859-8", &e_8859_8},
    {"iso88598", &e_8859_8},
    {"iso_8859-8", &e_8859_8},
    {"iso_8859-8:1988", &e_8859_8},
    {"visual", &e_8859_8},
    {"csiso88598i", &e_8859_8i},
    {"iso-8859-8-i", &e_8859_8i},
    {"logical", &e_8859_8i},
    {"csisolatin6", &e_8859_10},
    {"iso-8859-10", &e_8859_10},
    {"iso-ir-157", &e_8859_10},
    {"iso8859-10", &e_8859_10},
    {"iso885910", &e_8859_10},
    {"l6", &e_8859_10},
    {"latin6", &e_8859_10},
    {"iso-8859-13", &e_8859_13},
    {"iso8859-13", &e_8859_13},
    {"iso885913", &e_8859_13},
    {"iso-8859-14", &e_8859_14},
    {"iso8859-14", &e_8859_14},
    {"iso885914", &e_8859_14},
    {"csisolatin9", &e_8859_15},
    {"iso-8859-15", &e_8859_15},
    {"iso8859-15", &e_8859_15},
    {"iso885915", &e_8859_15},
    {"iso_8859-15", &e_8859_15},
    {"l9", &e_8859_15},
    {"iso-8859-16", &e_8859_16},
    {"cskoi8r", &e_koi8r},
    {"koi", &e_koi8r},
    {"koi8", &e_koi8r},
    {"koi8-r", &e_koi8r},
    {"koi8_r", &e_koi8r},
    {"koi8-ru", &e_koi8u},
    {"koi8-u", &e_koi8u},
    {"csmacintosh", &e_mac},
    {"mac", &e_mac},
    {"macintosh", &e_mac},
    {"x-mac-roman", &e_mac},
    {"dos-874", &e_874},
    {"iso-8859-11", &e_874},
    {"iso8859-11", &e_874},
    {"iso885911", &e_874},
    {"tis-620", &e_874},
    {"windows-874", &e_874},
    {"cp1250", &e_1250},
    {"windows-1250", &e_1250},
    {"x-cp1250", &e_1250},
    {"cp1251", &e_1251},
    {"windows-1251", &e_1251},
    {"x-cp1251", &e_1251},
    {"ansi_x3.4-1968", &cafe__html_enc_windows1252},
    {"ascii", &cafe__html_enc_windows1252},
    {"cp1252", &cafe__html_enc_windows1252},
    {"cp819", &cafe__html_enc_windows1252},
    {"csisolatin1", &cafe__html_enc_windows1252},
    {"ibm819", &cafe__html_enc_windows1252},
    {"iso-8859-1", &cafe__html_enc_windows1252},
    {"iso-ir-100", &cafe__html_enc_windows1252},
    {"iso8859-1", &cafe__html_enc_windows1252},
    {"iso88591", &cafe__html_enc_windows1252},
    {"iso_8859-1", &cafe__html_enc_windows1252},
    {"iso_8859-1:1987", &cafe__html_enc_windows1252},
    {"l1", &cafe__html_enc_windows1252},
    {"latin1", &cafe__html_enc_windows1252},
    {"us-ascii", &cafe__html_enc_windows1252},
    {"windows-1252", &cafe__html_enc_windows1252},
    {"x-cp1252", &cafe__html_enc_windows1252},
    {"cp1253", &e_1253},
    {"windows-1253", &e_1253},
    {"x-cp1253", &e_1253},
    {"cp1254", &e_1254},
    {"csisolatin5", &e_1254},
    {"iso-8859-9", &e_1254},
    {"iso-ir-148", &e_1254},
    {"iso8859-9", &e_1254},
    {"iso88599", &e_1254},
    {"iso_8859-9", &e_1254},
    {"iso_8859-9:1989", &e_1254},
    {"l5", &e_1254},
    {"latin5", &e_1254},
    {"windows-1254", &e_1254},
    {"x-cp1254", &e_1254},
    {"cp1255", &e_1255},
    {"windows-1255", &e_1255},
    {"x-cp1255", &e_1255},
    {"cp1256", &e_1256},
    {"windows-1256", &e_1256},
    {"x-cp1256", &e_1256},
    {"cp1257", &e_1257},
    {"windows-1257", &e_1257},
    {"x-cp1257", &e_1257},
    {"cp1258", &e_1258},
    {"windows-1258", &e_1258},
    {"x-cp1258", &e_1258},
    {"x-mac-cyrillic", &e_maccyr},
    {"x-mac-ukrainian", &e_maccyr},
    {"chinese", &e_gbk},
    {"csgb2312", &e_gbk},
    {"csiso58gb231280", &e_gbk},
    {"gb2312", &e_gbk},
    {"gb_2312", &e_gbk},
    {"gb_2312-80", &e_gbk},
    {"gbk", &e_gbk},
    {"iso-ir-58", &e_gbk},
    {"x-gbk", &e_gbk},
    {"gb18030", &e_gb18030},
    {"big5", &e_big5},
    {"big5-hkscs", &e_big5},
    {"cn-big5", &e_big5},
    {"csbig5", &e_big5},
    {"x-x-big5", &e_big5},
    {"cseucpkdfmtjapanese", &e_eucjp},
    {"euc-jp", &e_eucjp},
    {"x-euc-jp", &e_eucjp},
    {"csiso2022jp", &e_iso2022jp},
    {"iso-2022-jp", &e_iso2022jp},
    {"csshiftjis", &e_sjis},
    {"ms932", &e_sjis},
    {"ms_kanji", &e_sjis},
    {"shift-jis", &e_sjis},
    {"shift_jis", &e_sjis},
    {"sjis", &e_sjis},
    {"windows-31j", &e_sjis},
    {"x-sjis", &e_sjis},
    {"cseuckr", &e_euckr},
    {"csksc56011987", &e_euckr},
    {"euc-kr", &e_euckr},
    {"iso-ir-149", &e_euckr},
    {"korean", &e_euckr},
    {"ks_c_5601-1987", &e_euckr},
    {"ks_c_5601-1989", &e_euckr},
    {"ksc5601", &e_euckr},
    {"ksc_5601", &e_euckr},
    {"windows-949", &e_euckr},
    {"csiso2022kr", &e_replacement},
    {"hz-gb-2312", &e_replacement},
    {"iso-2022-cn", &e_replacement},
    {"iso-2022-cn-ext", &e_replacement},
    {"iso-2022-kr", &e_replacement},
    {"replacement", &e_replacement},
    {"unicodefffe", &cafe__html_enc_utf16be},
    {"utf-16be", &cafe__html_enc_utf16be},
    {"csunicode", &cafe__html_enc_utf16le},
    {"iso-10646-ucs-2", &cafe__html_enc_utf16le},
    {"ucs-2", &cafe__html_enc_utf16le},
    {"unicode", &cafe__html_enc_utf16le},
    {"unicodefeff", &cafe__html_enc_utf16le},
    {"utf-16", &cafe__html_enc_utf16le},
    {"utf-16le", &cafe__html_enc_utf16le},
    {"x-user-defined", &e_user},
};

static int is_ws(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static unsigned char lower(unsigned char c) {
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int label_equal(const char *label, const unsigned char *s, size_t n) {
    size_t i = 0;
    for (; i < n; i++) {
        if (label[i] == 0 || label[i] != (char)lower(s[i]))
            return 0;
    }
    return label[i] == 0;
}

const cafe__html_encoding_t *cafe__html_encoding_get(const char *label, size_t len) {
    const unsigned char *s = (const unsigned char *)label;
    while (len > 0 && is_ws(s[0]))
        s++, len--;
    while (len > 0 && is_ws(s[len - 1]))
        len--;
    /* Most pages say "utf-8": found without walking the table (every response's charset
     * comes through here). */
    if (len == 5 && label_equal("utf-8", s, 5))
        return &cafe__html_enc_utf8;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        if (label_equal(labels[i].label, s, len))
            return labels[i].enc;
    }
    return NULL;
}

const cafe__html_encoding_t *cafe__html_encoding_transport(const char *value) {
    if (!value)
        return NULL;
    size_t n = strlen(value);
    if (!strpbrk(value, ";/"))
        return cafe__html_encoding_get(value, n);
    /* A whole Content-Type value, read as the HTTP client reads one (no label holds a ';'
     * or a '/'). A charset too long for the buffer is "", as no label is that long. */
    char charset[64];
    cafe__content_type_parse(value, n, NULL, 0, charset, sizeof charset);
    return cafe__html_encoding_get(charset, strlen(charset));
}
