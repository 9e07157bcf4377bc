# MTAGUARD_SANITIZERS: --enable-sanitizers builds everything with ASan + UBSan.
AC_DEFUN([MTAGUARD_SANITIZERS], [
  AC_ARG_ENABLE([sanitizers],
    [AS_HELP_STRING([--enable-sanitizers], [build with AddressSanitizer and UndefinedBehaviorSanitizer])],
    [], [enable_sanitizers=no])
  AS_IF([test "x$enable_sanitizers" = xyes], [
    SANITIZER_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    # GCC 12 reports false maybe-uninitialized warnings in std::variant under ASan.
    AM_CXXFLAGS="$AM_CXXFLAGS $SANITIZER_FLAGS -Wno-maybe-uninitialized"
    AM_LDFLAGS="$AM_LDFLAGS $SANITIZER_FLAGS"
  ])
  AC_SUBST([AM_LDFLAGS])
  AM_CONDITIONAL([SANITIZERS], [test "x$enable_sanitizers" = xyes])
])
