# embed.cmake: write the file SRC into OUT as a NUL-terminated C array named NAME.
# Run as: cmake -DSRC=... -DOUT=... -DNAME=... -P embed.cmake
file(READ "${SRC}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){24})" "\\1\n" body "${body}")
file(WRITE "${OUT}" "/* Generated from ${SRC} by cmake/embed.cmake: do not edit. */\n"
     "const char ${NAME}[] = {\n${body}0x00};\n")
