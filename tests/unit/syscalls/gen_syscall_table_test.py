#!/usr/bin/env python3
"""Tests that gen_syscall_table.py accepts consistent inputs and rejects the rest.

    gen_syscall_table_test.py GENERATOR UNISTD_64_H SIGNATURES_TXT

The generator is what fails the build when signatures.txt and the kernel header
disagree, so each way they can disagree is tried here on small made-up inputs.
"""

import os
import subprocess
import sys
import tempfile
import unittest

GENERATOR, REAL_HEADER, REAL_SIGNATURES = sys.argv[1:4] if len(sys.argv) >= 4 else (None, None, None)

HEADER = """#ifndef _ASM_UNISTD_64_H
#define _ASM_UNISTD_64_H
#define __NR_read 0
#define __NR_write 1
#define __NR_close 3
#endif
"""

GOOD = """# comment
read(fd fd, buf_out[count] buf, size count)
write(fd fd, buf_in[count] buf, size count)   # trailing comment
close(fd fd)
451 cachestat(fd fd, struct cstat_range, struct cstat, uint flags)
"""


class GeneratorTest(unittest.TestCase):
    def run_generator(self, signatures, header=HEADER):
        with tempfile.TemporaryDirectory() as tmp:
            header_path = os.path.join(tmp, "unistd_64.h")
            signatures_path = os.path.join(tmp, "signatures.txt")
            output_path = os.path.join(tmp, "out.inc")
            with open(header_path, "w") as f:
                f.write(header)
            with open(signatures_path, "w") as f:
                f.write(signatures)
            result = subprocess.run(
                [sys.executable, GENERATOR, "--header", header_path,
                 "--signatures", signatures_path, "--output", output_path],
                capture_output=True, text=True)
            output = None
            if os.path.exists(output_path):
                with open(output_path) as f:
                    output = f.read()
            return result.returncode, result.stderr, output

    def assert_rejected(self, signatures, message, header=HEADER):
        code, stderr, output = self.run_generator(signatures, header)
        self.assertEqual(code, 1, stderr)
        self.assertIn(message, stderr)
        self.assertIsNone(output, "no table may be written on error")

    def test_accepts_consistent_input(self):
        code, stderr, output = self.run_generator(GOOD)
        self.assertEqual(code, 0, stderr)
        self.assertIn('{0, "read", 3,', output)
        self.assertIn('ArgSpec{"buf", ArgType::kBufIn, 2}', output)
        self.assertIn('{451, "cachestat", 4,', output)
        self.assertIn("false},", output)  # cachestat is not in the header
        self.assertIn("constexpr int kMaxNumber = 451;", output)

    def test_header_syscall_without_signature(self):
        self.assert_rejected(GOOD.replace("close(fd fd)\n", ""), "'close' (number 3) from the header has no signature")

    def test_unknown_name_without_number(self):
        self.assert_rejected(GOOD + "frobnicate(int x)\n", "'frobnicate' is not in the header")

    def test_unknown_type(self):
        self.assert_rejected(GOOD.replace("close(fd fd)", "close(filedesc fd)"), "unknown type 'filedesc'")

    def test_number_disagreeing_with_header(self):
        self.assert_rejected(GOOD.replace("close(fd fd)", "4 close(fd fd)"), "'close' is number 3 in the header, not 4")

    def test_number_used_twice(self):
        self.assert_rejected(GOOD + "3 reused(int x)\n", "number 3 used by both")

    def test_duplicate_signature(self):
        self.assert_rejected(GOOD + "close(fd fd)\n", "'close' already has a signature")

    def test_input_buffer_needs_a_length(self):
        self.assert_rejected(GOOD.replace("buf_in[count] buf", "buf_in buf"), "buf_in needs its length")

    def test_length_must_name_an_argument(self):
        self.assert_rejected(GOOD.replace("buf_in[count] buf", "buf_in[len] buf"), "length argument 'len' is not a parameter")

    def test_at_most_six_arguments(self):
        seven = ", ".join(f"int a{i}" for i in range(7))
        self.assert_rejected(GOOD + f"460 big({seven})\n", "at most 6")

    def test_malformed_line(self):
        self.assert_rejected(GOOD + "close fd\n", "cannot parse")

    def test_header_without_syscalls(self):
        self.assert_rejected(GOOD, "not a unistd_64.h", header="/* empty */\n")

    @unittest.skipUnless(REAL_HEADER and os.path.exists(REAL_HEADER), "no installed header")
    def test_real_inputs_are_consistent(self):
        with open(REAL_HEADER) as f:
            header = f.read()
        with open(REAL_SIGNATURES) as f:
            signatures = f.read()
        code, stderr, output = self.run_generator(signatures, header)
        self.assertEqual(code, 0, stderr)
        self.assertIn('"openat"', output)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=1)
