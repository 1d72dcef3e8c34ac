#include "check.h"
#include "core/error_internal.h"

int main(void)
{
    for (int s = 0; s < MS_STATUS_COUNT; s++) {
        CHECK(ms_strerror((ms_status)s) != NULL);
        CHECK(strcmp(ms_strerror((ms_status)s), "unknown status") != 0);
    }
    CHECK_STR(ms_strerror((ms_status)99), "unknown status");
    CHECK_INT(ms_exit_status(MS_OK), 0);
    CHECK_INT(ms_exit_status(MS_E_REJECTED), 1);
    CHECK_INT(ms_exit_status(MS_E_UNSAFE_PATH), 1);
    CHECK_INT(ms_exit_status(MS_E_USAGE), 2);
    CHECK_INT(ms_exit_status(MS_E_FORMAT), 3);
    CHECK_INT(ms_exit_status(MS_E_IO), 3);
    CHECK_INT(ms_exit_status(MS_E_PERMISSION), 3);
    CHECK_INT(ms_exit_status(MS_E_INTERNAL), 4);

    ms_error err;
    ms_error_clear(&err);
    CHECK_INT(err.status, MS_OK);
    CHECK_STR(err.message, "");
    CHECK_INT(ms_fail(&err, MS_E_FORMAT, "tensor '%s': bad", "l1.weight"), MS_E_FORMAT);
    CHECK_STR(err.message, "tensor 'l1.weight': bad");
    ms_fail_prefix(&err, "%s", "model.safetensors");
    CHECK_STR(err.message, "model.safetensors: tensor 'l1.weight': bad");
    CHECK_INT(err.status, MS_E_FORMAT);
    CHECK_INT(ms_fail(NULL, MS_E_IO, "x"), MS_E_IO);
    ms_error_clear(NULL);
    return check_finish("test_error");
}
