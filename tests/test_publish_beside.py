"""Pages built beside the publish process (pipeline/publish/beside.py): the forked job's result, its warnings and
its errors reach the publishing process as if the job had run there."""

from __future__ import annotations

import os

import pytest

from pipeline.core.errors import InputError, Problem
from pipeline.core.log import take_warnings, warn
from pipeline.publish.beside import beside, can_fork


def test_the_job_runs_in_another_process_and_its_result_and_warnings_come_back():
    if not can_fork():
        pytest.skip("one core or no fork: the job runs in this process")
    take_warnings()
    warn("recorded before the fork")  # stays the parent's, not repeated by the job
    here = os.getpid()

    def job():
        warn("recorded by the job")
        return [os.getpid(), sum(range(10))]

    with beside(job) as result:
        mine = sum(range(5))
        pid, total = result()
    assert pid != here and (mine, total) == (10, 45)  # 0+..+4 and 0+..+9 by hand
    assert take_warnings() == ["recorded before the fork", "recorded by the job"]


def test_an_input_error_of_the_job_is_raised_here_with_its_problems():
    problem = Problem("the catchments table has no school_id", "run the scenarios stage again",
                      file="scenarios_school_catchments.parquet", column="school_id", ids=("SK1",))

    def job():
        raise InputError([problem])

    with pytest.raises(InputError) as raised, beside(job) as result:
        result()
    assert raised.value.problems == [problem]
    assert str(raised.value).startswith("Bad input (1 problem):") and str(raised.value).count("Bad input") == 1
