/* test_identity.c - key files (creation, modes, refusals) and the public
 * key text form. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "coalition/identity.h"

static char dir[64];
static char spath[128], ppath[128];

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/a5-test-identity-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(spath, sizeof(spath), "%s/member.key", dir);
	snprintf(ppath, sizeof(ppath), "%s/member.pub", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(spath);
	unlink(ppath);
	rmdir(dir);
	return 0;
}

static void
clean(void)
{
	unlink(spath);
	unlink(ppath);
}

static size_t
read_file(const char *path, uint8_t *buf, size_t n)
{
	FILE *f = fopen(path, "rb");
	size_t got;

	assert_non_null(f);
	got = fread(buf, 1, n, f);
	fclose(f);
	return got;
}

static void
write_file(const char *path, const void *buf, size_t n, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

static mode_t
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
test_generate_load(void **state)
{
	char text[ID_PUBLIC_TEXT_MAX], err[512], filetext[128];
	uint8_t pk[ID_PUBLIC_BYTES], raw[ID_SECRET_BYTES + 8];
	struct identity id;

	(void)state;
	clean();
	/* A umask that takes every bit: the modes come from fchmod. */
	mode_t old = umask(0777);
	int rc = identity_generate(spath, ppath, text, sizeof(text), err, sizeof(err));
	umask(old);
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(file_mode(spath), 0600);
	assert_int_equal(file_mode(ppath), 0644);
	assert_int_equal(strlen(text), 51);
	assert_memory_equal(text, "ed25519:", 8);

	size_t n = read_file(ppath, (uint8_t *)filetext, sizeof(filetext) - 1);
	filetext[n] = '\0';
	assert_int_equal(n, strlen(text) + 1);
	assert_memory_equal(filetext, text, strlen(text));
	assert_int_equal(filetext[n - 1], '\n');
	assert_int_equal(read_file(spath, raw, sizeof(raw)), ID_SECRET_BYTES);

	if (identity_load(spath, &id, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(identity_pk_from_text(text, pk), 0);
	assert_memory_equal(pk, id.pk, ID_PUBLIC_BYTES);
	assert_memory_equal(raw, id.sk, ID_SECRET_BYTES);

	/* the key signs, and its public half verifies */
	uint8_t sig[ID_SIGNATURE_BYTES];
	crypto_sign_detached(sig, NULL, (const uint8_t *)"m", 1, id.sk);
	assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)"m", 1, pk), 0);

	identity_wipe(&id);
	uint8_t zero[sizeof(id)] = { 0 };
	assert_memory_equal(&id, zero, sizeof(id));

	/* two generations, two keys */
	char text2[ID_PUBLIC_TEXT_MAX];
	clean();
	assert_int_equal(identity_generate(spath, ppath, text2, sizeof(text2), err, sizeof(err)), 0);
	assert_string_not_equal(text, text2);
	clean();
}

static void
test_never_overwrites(void **state)
{
	char text[ID_PUBLIC_TEXT_MAX], err[512];
	uint8_t before[ID_SECRET_BYTES], after[ID_SECRET_BYTES];

	(void)state;
	clean();
	assert_int_equal(identity_generate(spath, ppath, text, sizeof(text), err, sizeof(err)), 0);
	read_file(spath, before, sizeof(before));
	assert_int_equal(identity_generate(spath, ppath, text, sizeof(text), err, sizeof(err)), -1);
	assert_non_null(strstr(err, spath));
	assert_non_null(strstr(err, "refusing to overwrite"));
	read_file(spath, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before));

	/* only the public file exists: refused, and no secret left behind */
	unlink(spath);
	assert_int_equal(identity_generate(spath, ppath, text, sizeof(text), err, sizeof(err)), -1);
	assert_non_null(strstr(err, ppath));
	assert_int_equal(access(spath, F_OK), -1);

	/* a symlink at the secret path is not followed */
	unlink(ppath);
	char target[160];
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	assert_int_equal(symlink(target, spath), 0);
	assert_int_equal(identity_generate(spath, ppath, text, sizeof(text), err, sizeof(err)), -1);
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(access(ppath, F_OK), -1);
	clean();

	/* a directory that does not exist */
	char nowhere[160];
	snprintf(nowhere, sizeof(nowhere), "%s/no/such.key", dir);
	assert_int_equal(identity_generate(nowhere, ppath, text, sizeof(text), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(access(ppath, F_OK), -1);

	/* too small a text buffer: refused before any file is made */
	assert_int_equal(identity_generate(spath, ppath, text, 20, err, sizeof(err)), -1);
	assert_int_equal(access(spath, F_OK), -1);
}

static void
test_load_refusals(void **state)
{
	char text[ID_PUBLIC_TEXT_MAX], err[512], want[512];
	uint8_t raw[ID_SECRET_BYTES + 1];
	struct identity id;

	(void)state;
	clean();
	assert_int_equal(identity_generate(spath, ppath, text, sizeof(text), err, sizeof(err)), 0);
	read_file(spath, raw, ID_SECRET_BYTES);

	/* readable by others */
	assert_int_equal(chmod(spath, 0644), 0);
	assert_int_equal(identity_load(spath, &id, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "secret key file %s is readable by group or others "
	    "(mode 0644); chmod 600 %s", spath, spath);
	assert_string_equal(err, want);
	uint8_t zero[sizeof(id)] = { 0 };
	assert_memory_equal(&id, zero, sizeof(id));
	const mode_t modes[] = { 0640, 0604, 0610, 0601, 0620, 0602, 0660 };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(spath, modes[i]), 0);
		assert_int_equal(identity_load(spath, &id, err, sizeof(err)), -1);
	}
	assert_int_equal(chmod(spath, 0400), 0);
	assert_int_equal(identity_load(spath, &id, err, sizeof(err)), 0);
	identity_wipe(&id);

	/* wrong sizes, trailing garbage */
	const size_t sizes[] = { 0, 1, 32, 63, 65, 128 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t big[128];
		memset(big, '\n', sizeof(big));
		memcpy(big, raw, sizes[i] < ID_SECRET_BYTES ? sizes[i] : ID_SECRET_BYTES);
		write_file(spath, big, sizes[i], 0600);
		assert_int_equal(identity_load(spath, &id, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "wrong size"));
		assert_memory_equal(&id, zero, sizeof(id));
	}

	/* a public half that does not belong to the seed */
	raw[40] ^= 1;
	write_file(spath, raw, ID_SECRET_BYTES, 0600);
	assert_int_equal(identity_load(spath, &id, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "damaged"));

	/* not a regular file, not there */
	assert_int_equal(identity_load(dir, &id, err, sizeof(err)), -1);
	assert_int_equal(identity_load("/dev/null", &id, err, sizeof(err)), -1);
	clean();
	assert_int_equal(identity_load(spath, &id, err, sizeof(err)), -1);
	assert_non_null(strstr(err, spath));
	assert_non_null(strstr(err, "No such file"));
	/* a FIFO must not hang the loader */
	assert_int_equal(mkfifo(spath, 0600), 0);
	assert_int_equal(identity_load(spath, &id, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	clean();
}

static void
test_pk_text(void **state)
{
	uint8_t pk[ID_PUBLIC_BYTES], back[ID_PUBLIC_BYTES];
	char text[ID_PUBLIC_TEXT_MAX];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		randombytes_buf(pk, sizeof(pk));
		identity_pk_to_text(pk, text, sizeof(text));
		assert_int_equal(strlen(text), 51);
		assert_null(strpbrk(text + 8, "+/="));	/* URL-safe, unpadded */
		assert_int_equal(identity_pk_from_text(text, back), 0);
		assert_memory_equal(pk, back, sizeof(pk));
	}
	/* a known key: all 0xff */
	memset(pk, 0xff, sizeof(pk));
	identity_pk_to_text(pk, text, sizeof(text));
	assert_string_equal(text, "ed25519:__________________________________________8");
	/* too small a buffer gives "", never a shorter key */
	identity_pk_to_text(pk, text, 51);
	assert_string_equal(text, "");

	const char *good = "ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
	assert_int_equal(identity_pk_from_text(good, back), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(back[i], i);

	const char *bad[] = {
		"",
		"ed25519:",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",		/* no prefix */
		"ED25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		"ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		" ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh",	/* 42 */
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A",	/* 44 */
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",	/* padding */
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8 ",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9",	/* unused bits set */
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH+8",	/* standard alphabet */
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH/8",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd Hh",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd.Hh",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8AAECAwQFBgcICQoLDA0ODxAREhMU",
		"ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw\xc3\xa9h",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(back, 0xaa, sizeof(back));
		if (identity_pk_from_text(bad[i], back) != -1)
			fail_msg("accepted bad key text '%s'", bad[i]);
		for (size_t j = 0; j < sizeof(back); j++)
			assert_int_equal(back[j], 0xaa);	/* untouched */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_load),
		cmocka_unit_test(test_never_overwrites),
		cmocka_unit_test(test_load_refusals),
		cmocka_unit_test(test_pk_text),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
