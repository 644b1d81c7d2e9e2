import { useDb } from '../../database'
import { publicSurveyList } from '../../services/surveys'

export default defineEventHandler(() => publicSurveyList(useDb()))
