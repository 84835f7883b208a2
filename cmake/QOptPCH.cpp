// Owner of the precompiled header (cmake/QOptPCH.h) that qopt's libraries
// reuse; nothing else.
