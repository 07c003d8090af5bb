# Warnings and sanitizers shared by every target of the project (not by consumers).
add_library(faststream_project_options INTERFACE)
target_compile_options(faststream_project_options INTERFACE
  -Wall -Wextra -Werror -Wno-missing-field-initializers)

if(FASTSTREAM_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_compile_options(faststream_project_options INTERFACE ${_san})
  target_link_options(faststream_project_options INTERFACE ${_san})
endif()
if(FASTSTREAM_TSAN)
  # -Wno-tsan: Asio's atomic_thread_fence warns under TSan (harmless, but -Werror).
  target_compile_options(faststream_project_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  target_link_options(faststream_project_options INTERFACE -fsanitize=thread)
endif()
