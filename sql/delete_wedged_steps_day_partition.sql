DELETE FROM wedged_steps_day WHERE day = $day;
